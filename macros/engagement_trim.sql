{# Trims ASCII whitespace (space, tab, line feed, vertical tab, form feed, carriage return) from both ends; plain trim() only drops spaces on some engines. #}
{% macro engagement_trim(text_expr) -%}
    {{ return(adapter.dispatch('engagement_trim', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{% macro default__engagement_trim(text_expr) -%}
    trim(both chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) from {{ text_expr }})
{%- endmacro %}

{% macro duckdb__engagement_trim(text_expr) -%}
    {#- Most texts need no trimming: trim() with a character list is slow in DuckDB (~0.5 s per 10M
        texts and column on 2 threads), so texts whose first and last characters are above space
        are returned as they are. The text is repeated, and evaluated once (common subexpression). -#}
    case
        when ascii(({{ text_expr }})[1]) > 32 and ascii(({{ text_expr }})[-1]) > 32 then {{ text_expr }}
        else {{ default__engagement_trim(text_expr) }}
    end
{%- endmacro %}
