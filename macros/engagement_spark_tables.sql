{# The names of the tables (not views) of a Spark database, or [] when it does not exist. #}
{% macro engagement_spark_tables(schema_name) -%}
    {%- set found = [] -%}
    {%- set databases = run_query('show databases') -%}
    {%- if schema_name | lower in (databases.columns[0].values() | map('lower') | list) -%}
        {%- for relation in adapter.list_relations_without_caching(api.Relation.create(schema=schema_name)) -%}
            {%- if relation.type != 'view' -%}
                {%- do found.append(relation.identifier) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}
