{# Publishes a finished build: swaps the work schema (where `engagement.py run` built and tested everything) in for the published one; called by run-operation. #}
{% macro engagement_publish_schema(work_schema, published_schema) -%}
    {{ return(adapter.dispatch('engagement_publish_schema', 'engagement_scoring')(work_schema, published_schema)) }}
{%- endmacro %}

{% macro default__engagement_publish_schema(work_schema, published_schema) -%}
    {{ exceptions.raise_compiler_error("engagement_publish_schema: no schema swap for adapter '" ~ target.type ~ "' (DuckDB publishes by replacing the file)") }}
{%- endmacro %}

{% macro postgres__engagement_publish_schema(work_schema, published_schema) -%}
    {#-
        One transaction (PostgreSQL DDL is transactional): rename the published schema away,
        rename the work schema to its name, drop the old one. Readers see the old marts or the
        new ones, never a mix; a reader's query that holds a table of the old schema makes the
        drop wait for it. Views and the helper function are bound by OID, not by the schema's
        name, so the work schema's staging views keep working under the published name.
        Views of other schemas that read the published marts would be dropped with the old
        schema (or, kept, would go on reading stale tables): the publish refuses instead.
    -#}
    {%- set old_schema = published_schema ~ '__replaced' -%}
    {%- set dependents = run_query(
        "select distinct dependent_ns.nspname || '.' || dependent.relname"
        ~ " from pg_depend as dep"
        ~ " inner join pg_rewrite as rule on rule.oid = dep.objid"
        ~ " inner join pg_class as dependent on dependent.oid = rule.ev_class"
        ~ " inner join pg_namespace as dependent_ns on dependent_ns.oid = dependent.relnamespace"
        ~ " inner join pg_class as referenced on referenced.oid = dep.refobjid"
        ~ " inner join pg_namespace as referenced_ns on referenced_ns.oid = referenced.relnamespace"
        ~ " where dep.classid = 'pg_rewrite'::regclass and dep.refclassid = 'pg_class'::regclass"
        ~ " and referenced_ns.nspname = " ~ engagement_string_literal(published_schema)
        ~ " and dependent_ns.nspname <> " ~ engagement_string_literal(published_schema)
        ~ " order by 1"
    ) -%}
    {%- if dependents.rows | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            "publish refused: views outside schema " ~ published_schema ~ " read its tables ("
            ~ (dependents.columns[0].values() | join(', '))
            ~ "); replacing the schema would drop them. Point them at the marts through a schema of their own "
            ~ "that is recreated after each run, or drop them; nothing was published") }}
    {%- endif -%}
    {%- set published_exists = run_query(
        "select count(*) from pg_namespace where nspname = " ~ engagement_string_literal(published_schema)
    ).columns[0].values()[0] > 0 -%}
    {% call statement('engagement_publish_schema') -%}
        {#- a reader's query holds its tables (in its own order) while the swap takes them one by one:
            waiting long for a lock could deadlock with it, so the swap gives up after half a second
            (the whole transaction rolls back) and engagement.py run tries it again -#}
        set local lock_timeout = '500ms';
        drop schema if exists {{ adapter.quote(old_schema) }} cascade;
        {% if published_exists -%}
        alter schema {{ adapter.quote(published_schema) }} rename to {{ adapter.quote(old_schema) }};
        {%- endif %}
        alter schema {{ adapter.quote(work_schema) }} rename to {{ adapter.quote(published_schema) }};
        drop schema if exists {{ adapter.quote(old_schema) }} cascade;
    {%- endcall %}
    {#- run-operation commits the transaction (every statement above is in it) when the macro returns -#}
{%- endmacro %}

{% macro spark__engagement_publish_schema(work_schema, published_schema) -%}
    {#-
        Spark has no transactions and cannot rename a table across databases. First every table of
        the work database is copied into the published one under a __publishing name (the
        published tables are untouched, and a failure here changes nothing readers see); then each
        table is swapped in by two metastore renames, one table after another, and the old copies
        are dropped. While the renames run (milliseconds per table), a reader may see some marts
        new and others old, or briefly miss one. Views are not copied: they stay in the work
        database, which the next run replaces. A kill during the renames is repaired by the next
        run (engagement_prepare_work_schema) before it builds.
    -#}
    {% do run_query('create database if not exists ' ~ adapter.quote(published_schema)) %}
    {%- set tables = engagement_spark_tables(work_schema) -%}
    {%- set published_tables = engagement_spark_tables(published_schema) -%}
    {%- for name in tables -%}
        {% do run_query('drop table if exists ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(name ~ '__publishing')) %}
        {% do run_query('create table ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(name ~ '__publishing')
                        ~ ' using parquet as select * from ' ~ adapter.quote(work_schema) ~ '.' ~ adapter.quote(name)) %}
    {%- endfor -%}
    {%- for name in tables -%}
        {%- if name in published_tables -%}
            {% do run_query('alter table ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(name)
                            ~ ' rename to ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(name ~ '__replaced')) %}
        {%- endif -%}
        {% do run_query('alter table ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(name ~ '__publishing')
                        ~ ' rename to ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(name)) %}
    {%- endfor -%}
    {%- for name in tables -%}
        {% do run_query('drop table if exists ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(name ~ '__replaced')) %}
    {%- endfor -%}
{%- endmacro %}
