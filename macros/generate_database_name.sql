{# dbt's database naming (the target's database, or a custom one), with the name checked before any SQL is built; Spark has none. #}
{% macro generate_database_name(custom_database_name=none, node=none) -%}
    {%- set database = target.database if custom_database_name is none else custom_database_name | trim -%}
    {%- if not database -%}
        {#- Spark: no database level (target.database is undefined), rendered as dbt's default does -#}
        {{ database }}
    {%- else -%}
        {{ engagement_check_identifier(
            database, "the target database (on DuckDB the file name of ENGAGEMENT_DUCKDB_PATH, on PostgreSQL "
            ~ "ENGAGEMENT_POSTGRES_DBNAME)", kind='database'
        ) }}
    {%- endif -%}
{%- endmacro %}
