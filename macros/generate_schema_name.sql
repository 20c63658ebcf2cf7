{# dbt's schema naming (target schema, or target schema + _ + custom schema), with every schema name checked before any SQL is built. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set schema = target.schema if custom_schema_name is none else target.schema ~ '_' ~ (custom_schema_name | trim) -%}
    {{ return(engagement_check_identifier(schema, "the target schema (ENGAGEMENT_SCHEMA, or the profile's schema)"
        if custom_schema_name is none else "the schema " ~ (schema | tojson) ~ " (target schema + custom schema)")) }}
{%- endmacro %}
