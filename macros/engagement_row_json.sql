{# A whole row of a relation (by its alias in the query) as one JSON object text, every column kept, whatever its names. #}
{% macro engagement_row_json(relation_alias) -%}
    {{ return(adapter.dispatch('engagement_row_json', 'engagement_scoring')(relation_alias)) }}
{%- endmacro %}

{% macro default__engagement_row_json(relation_alias) -%}
    cast(to_json({{ relation_alias }}) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro postgres__engagement_row_json(relation_alias) -%}
    cast(row_to_json({{ relation_alias }}) as text)
{%- endmacro %}

{% macro spark__engagement_row_json(relation_alias) -%}
    to_json(struct({{ relation_alias }}.*))
{%- endmacro %}
