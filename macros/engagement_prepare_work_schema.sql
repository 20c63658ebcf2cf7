{# Before `engagement.py run` builds: drops what a killed or failed run left in the work schema, and finishes a publish a kill interrupted (Spark); called by run-operation. #}
{% macro engagement_prepare_work_schema(work_schema, published_schema) -%}
    {{ return(adapter.dispatch('engagement_prepare_work_schema', 'engagement_scoring')(work_schema, published_schema)) }}
{%- endmacro %}

{% macro default__engagement_prepare_work_schema(work_schema, published_schema) -%}
    {#- run-operation commits when the macro returns -#}
    {% do adapter.drop_schema(api.Relation.create(database=target.database, schema=work_schema)) %}
{%- endmacro %}

{% macro spark__engagement_prepare_work_schema(work_schema, published_schema) -%}
    {#-
        A publish killed between its two renames leaves a mart only under its __replaced name:
        put it back (the old marts are what readers had). Then drop every __publishing and
        __replaced leftover, and the work database.
    -#}
    {%- set existing = engagement_spark_tables(published_schema) -%}
    {%- for name in existing if name.endswith('__replaced') -%}
        {%- set original = name[:-('__replaced' | length)] -%}
        {%- if original not in existing -%}
            {% do run_query('alter table ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(name)
                            ~ ' rename to ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(original)) %}
        {%- else -%}
            {% do run_query('drop table if exists ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(name)) %}
        {%- endif -%}
    {%- endfor -%}
    {%- for name in existing if name.endswith('__publishing') -%}
        {% do run_query('drop table if exists ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(name)) %}
    {%- endfor -%}
    {% do run_query('drop database if exists ' ~ adapter.quote(work_schema) ~ ' cascade') %}
{%- endmacro %}
