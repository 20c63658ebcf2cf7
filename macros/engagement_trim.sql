{# Trims ASCII whitespace (space, tab, line feed, vertical tab, form feed, carriage return) from both ends; plain trim() only drops spaces on some engines. #}
{% macro engagement_trim(text_expr) -%}
    {{ return(adapter.dispatch('engagement_trim', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{% macro default__engagement_trim(text_expr) -%}
    trim(both chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) from {{ text_expr }})
{%- endmacro %}
