{# Before `engagement.py run` builds into a fresh work schema (PostgreSQL) or database (Spark): copies the published table of every incremental model there, so that the build continues from it instead of starting empty; called by run-operation. #}
{% macro engagement_carry_over_incremental(work_schema, published_schema, full_refresh=false) -%}
    {#-
        Every model materialized incremental on this target, read from the project's graph, so that
        a model added later is carried over too; for a --full-refresh build only those configured
        `full_refresh: false` (dbt keeps building them incrementally, e.g. an append-only history).
        A model not published yet is skipped: its first build in the work schema is a full one. The
        work schema was just dropped (engagement_prepare_work_schema), so each copy is new.
    -#}
    {%- set carried = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.config.materialized == 'incremental'
        and not (full_refresh and node.config.full_refresh is not false) -%}
        {%- if adapter.dispatch('engagement_copy_published_table', 'engagement_scoring')(
                published_schema, work_schema, node) -%}
            {%- do carried.append(node.alias) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ log('carried over into ' ~ work_schema ~ ': ' ~ (carried | join(', ') if carried else 'nothing'), info=True) }}
{%- endmacro %}

{% macro default__engagement_copy_published_table(published_schema, work_schema, node) -%}
    {#- PostgreSQL: the same columns, defaults and constraints (like ... including all), then the rows -#}
    {%- set published = adapter.get_relation(database=target.database, schema=published_schema, identifier=node.alias) -%}
    {%- if published is none or not published.is_table -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set work = api.Relation.create(database=target.database, schema=work_schema, identifier=node.alias, type='table') -%}
    {% do run_query('create schema if not exists ' ~ adapter.quote(work_schema)) %}
    {% do run_query('create table ' ~ work ~ ' (like ' ~ published ~ ' including all)') %}
    {% do run_query('insert into ' ~ work ~ ' select * from ' ~ published) %}
    {{ return(true) }}
{%- endmacro %}

{% macro spark__engagement_copy_published_table(published_schema, work_schema, node) -%}
    {%- if node.alias not in engagement_spark_tables(published_schema) -%}
        {{ return(false) }}
    {%- endif -%}
    {% do run_query('create database if not exists ' ~ adapter.quote(work_schema)) %}
    {% do run_query('create table ' ~ adapter.quote(work_schema) ~ '.' ~ adapter.quote(node.alias)
                    ~ ' using ' ~ (node.config.file_format or 'parquet')
                    ~ ' as select * from ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(node.alias)) %}
    {{ return(true) }}
{%- endmacro %}
