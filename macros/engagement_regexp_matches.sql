{# True when the whole text matches the regex (a pattern in the syntax every engine shares: classes, groups, (?:), {m,n}); null for null text. #}
{% macro engagement_regexp_matches(text_expr, pattern) -%}
    {{ return(adapter.dispatch('engagement_regexp_matches', 'engagement_scoring')(text_expr, pattern)) }}
{%- endmacro %}

{% macro default__engagement_regexp_matches(text_expr, pattern) -%}
    ({{ text_expr }} ~ {{ engagement_string_literal('^(?:' ~ pattern ~ ')$') }})
{%- endmacro %}

{% macro duckdb__engagement_regexp_matches(text_expr, pattern) -%}
    regexp_full_match({{ text_expr }}, {{ engagement_string_literal(pattern) }})
{%- endmacro %}

{% macro spark__engagement_regexp_matches(text_expr, pattern) -%}
    ({{ text_expr }} rlike {{ engagement_string_literal('^(?:' ~ pattern ~ ')$') }})
{%- endmacro %}
