{# True when the optional CRM accounts source is configured (var accounts_path on DuckDB, or accounts_table). #}
{% macro engagement_accounts_configured() -%}
    {%- set path = var('accounts_path', '') if target.type == 'duckdb' else '' -%}
    {{ return((path or var('accounts_table', none)) and true or false) }}
{%- endmacro %}
