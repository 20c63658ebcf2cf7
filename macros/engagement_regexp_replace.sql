{# Replaces every match of the regex with a literal replacement text (no back-references: their syntax differs between engines). #}
{% macro engagement_regexp_replace(text_expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('engagement_regexp_replace', 'engagement_scoring')(text_expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__engagement_regexp_replace(text_expr, pattern, replacement) -%}
    regexp_replace(
        {{ text_expr }}, {{ engagement_string_literal(pattern) }}, {{ engagement_string_literal(replacement) }}, 'g'
    )
{%- endmacro %}

{% macro spark__engagement_regexp_replace(text_expr, pattern, replacement) -%}
    {#- Spark replaces every match; its replacement treats $ and \ specially, so they are escaped. -#}
    regexp_replace(
        {{ text_expr }},
        {{ engagement_string_literal(pattern) }},
        {{ engagement_string_literal(replacement | replace('\\', '\\\\') | replace('$', '\\$')) }}
    )
{%- endmacro %}
