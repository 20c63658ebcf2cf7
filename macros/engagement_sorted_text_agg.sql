{# Joins a text expression's values of a group with a delimiter, in byte order of the values, so
   the result (and a hash of it) is the same on every engine whatever order rows arrive in. #}
{% macro engagement_sorted_text_agg(expression, delimiter) -%}
    {{ return(adapter.dispatch('engagement_sorted_text_agg', 'engagement_scoring')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__engagement_sorted_text_agg(expression, delimiter) -%}
    string_agg({{ expression }}, {{ engagement_string_literal(delimiter) }} order by {{ expression }})
{%- endmacro %}

{% macro postgres__engagement_sorted_text_agg(expression, delimiter) -%}
    {#- byte order, not the database's locale -#}
    string_agg({{ expression }}, {{ engagement_string_literal(delimiter) }} order by {{ expression }} collate "C")
{%- endmacro %}

{% macro spark__engagement_sorted_text_agg(expression, delimiter) -%}
    array_join(array_sort(collect_list({{ expression }})), {{ engagement_string_literal(delimiter) }})
{%- endmacro %}
