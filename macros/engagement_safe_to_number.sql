{# Turns text holding a finite decimal number (optionally with an exponent) into a double; null for anything else (NaN, Infinity, 1e309, 12abc). #}
{% macro engagement_safe_to_number(text_expr) -%}
    {{ return(adapter.dispatch('engagement_safe_to_number', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__engagement_safe_to_number(text_expr) -%}
    {%- set text = engagement_trim(text_expr) -%}
    case
        when
            regexp_full_match({{ text }}, '[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?')
            and isfinite(try_cast({{ text }} as double))
            then try_cast({{ text }} as double)
    end
{%- endmacro %}
