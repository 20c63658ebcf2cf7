{# Turns text holding a finite decimal number (optionally with an exponent) into a double; null for anything else (NaN, Infinity, 1e309, 12abc). #}
{% macro engagement_safe_to_number(text_expr) -%}
    {{ return(adapter.dispatch('engagement_safe_to_number', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{% macro engagement_number_pattern() -%}
    [+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?
{%- endmacro %}

{% macro duckdb__engagement_safe_to_number(text_expr) -%}
    {%- set text = engagement_trim(text_expr) -%}
    case
        when
            {{ engagement_regexp_matches(text, engagement_number_pattern()) }}
            and isfinite(try_cast({{ text }} as double))
            then try_cast({{ text }} as double)
    end
{%- endmacro %}

{% macro postgres__engagement_safe_to_number(text_expr) -%}
    {#-
        PostgreSQL has no try_cast and raises on a double out of range (1e309, and also 1e-400,
        which the other engines read as 0). The text goes through numeric, which holds any
        exponent up to 1000 exactly, and is checked against the double's range first: too large
        is null, too small is 0, as on the other engines. Exponents beyond 1000 decide alone.
    -#}
    {%- set text = engagement_trim(text_expr) -%}
    {%- set exponent = engagement_regexp_extract(text, '^' ~ engagement_number_pattern() ~ '$', 4) -%}
    {%- set exponent_is_small = engagement_regexp_matches(
        'coalesce(' ~ exponent ~ ", 'e0')", '[eE][+-]?0*[0-9]{1,3}') -%}
    case
        when not {{ engagement_regexp_matches(text, engagement_number_pattern()) }} then null
        when {{ engagement_regexp_matches(text, '[+-]?[0.]+([eE][+-]?[0-9]+)?') }} then cast(0 as double precision)
        when not {{ exponent_is_small }}
            then case when {{ exponent }} like '%-%' then cast(0 as double precision) end
        when abs(cast({{ text }} as numeric)) > 1.7976931348623157e308 then null
        when abs(cast({{ text }} as numeric)) < 2.4703282292062328e-324 then cast(0 as double precision)
        else cast(cast({{ text }} as numeric) as double precision)
    end
{%- endmacro %}

{% macro spark__engagement_safe_to_number(text_expr) -%}
    {#- With ANSI mode off (dbt-spark turns it off) a failed cast is null; 1e309 reads as infinity. -#}
    {%- set text = engagement_trim(text_expr) -%}
    case
        when
            {{ engagement_regexp_matches(text, engagement_number_pattern()) }}
            and abs(cast({{ text }} as double)) < cast('Infinity' as double)
            then cast({{ text }} as double)
    end
{%- endmacro %}
