{# The names of the tables (not views) of a Spark database, or [] when it does not exist. #}
{% macro engagement_spark_tables(schema_name) -%}
    {%- set databases = run_query('show databases').columns[0].values() | map('lower') | list -%}
    {%- if schema_name | lower not in databases -%}
        {{ return([]) }}
    {%- endif -%}
    {#- show tables lists views too; the table name is the second column of both -#}
    {%- set views = run_query('show views in ' ~ adapter.quote(schema_name)).columns[1].values() | list -%}
    {%- set found = [] -%}
    {%- for name in run_query('show tables in ' ~ adapter.quote(schema_name)).columns[1].values() -%}
        {%- if name not in views -%}
            {%- do found.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}
