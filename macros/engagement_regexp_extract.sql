{# The text of one capture group of a regex match (1 = first); null when the text does not match or the group took no part. #}
{% macro engagement_regexp_extract(text_expr, pattern, group) -%}
    {{ return(adapter.dispatch('engagement_regexp_extract', 'engagement_scoring')(text_expr, pattern, group)) }}
{%- endmacro %}

{% macro default__engagement_regexp_extract(text_expr, pattern, group) -%}
    (regexp_match({{ text_expr }}, {{ engagement_string_literal(pattern) }}))[{{ group }}]
{%- endmacro %}

{% macro duckdb__engagement_regexp_extract(text_expr, pattern, group) -%}
    nullif(regexp_extract({{ text_expr }}, {{ engagement_string_literal(pattern) }}, {{ group }}), '')
{%- endmacro %}

{% macro spark__engagement_regexp_extract(text_expr, pattern, group) -%}
    nullif(regexp_extract({{ text_expr }}, {{ engagement_string_literal(pattern) }}, {{ group }}), '')
{%- endmacro %}
