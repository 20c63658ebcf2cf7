{# The 8-byte floating-point type (dbt.type_float is 4 bytes on some engines). #}
{% macro engagement_type_double() -%}
    {{ return(adapter.dispatch('engagement_type_double', 'engagement_scoring')()) }}
{%- endmacro %}

{% macro default__engagement_type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__engagement_type_double() -%}
    double
{%- endmacro %}
