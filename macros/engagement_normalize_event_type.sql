{# Normalizes an event type: trimmed, lowercased, runs of spaces/hyphens/dots to one underscore, no leading or trailing underscores. #}
{% macro engagement_normalize_event_type(text_expr) -%}
    {{ return(adapter.dispatch('engagement_normalize_event_type', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{% macro default__engagement_normalize_event_type(text_expr) -%}
    regexp_replace(
        regexp_replace(lower(trim({{ text_expr }})), '[[:space:].-]+', '_', 'g'),
        '^_+|_+$', '', 'g'
    )
{%- endmacro %}
