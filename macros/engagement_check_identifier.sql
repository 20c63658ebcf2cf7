{# Refuses a setting that becomes an SQL identifier (schema, table, database) unless it matches a strict pattern; returns it unchanged. #}
{% macro engagement_check_identifier(value, setting, kind='name') -%}
    {#-
        dbt quotes identifiers but does not escape a quote inside them, so a setting such as
        ENGAGEMENT_SCHEMA='x"; drop table ...' would be pasted into SQL. Every setting that becomes
        an identifier passes here first, at parse time, before any SQL is built or run.
        kind 'name': a schema or table, ^[A-Za-z_][A-Za-z0-9_]{0,62}$ (PostgreSQL's 63-byte limit).
        kind 'database': also a leading digit and hyphens (DuckDB names the database after its file,
        e.g. data/2025-engagement.duckdb), never a quote, a dot or a space.
    -#}
    {%- set patterns = {
        'name': '[A-Za-z_][A-Za-z0-9_]{0,62}',
        'database': '[A-Za-z0-9_][A-Za-z0-9_-]{0,62}',
    } -%}
    {%- if value is none or not modules.re.fullmatch(patterns[kind], value | string) -%}
        {{ exceptions.raise_compiler_error(
            setting ~ " must match ^" ~ patterns[kind] ~ "$ (it becomes an SQL identifier), got " ~ (value | string | tojson)
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}
