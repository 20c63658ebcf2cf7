{# Renders any value as an escaped SQL string literal, so a var or seed value is always data, never SQL. #}
{% macro engagement_string_literal(value) -%}
    {{ return(adapter.dispatch('engagement_string_literal', 'engagement_scoring')(value)) }}
{%- endmacro %}

{% macro default__engagement_string_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__engagement_string_literal(value) -%}
    {#- Spark string literals take backslash escapes: a backslash and a quote are each escaped with one. -#}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
