{# Normalizes an event type: trimmed, lowercased, runs of whitespace/hyphens/dots to one underscore, no leading or trailing underscores. #}
{% macro engagement_normalize_event_type(text_expr) -%}
    {{ return(adapter.dispatch('engagement_normalize_event_type', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{% macro default__engagement_normalize_event_type(text_expr) -%}
    {#- ASCII whitespace spelled out (\x0B is the vertical tab): every engine's regex reads it alike. -#}
    {{ engagement_regexp_replace(
        engagement_regexp_replace('lower(trim(' ~ text_expr ~ '))', '[ \\t\\n\\r\\f\\x0B.-]+', '_'),
        '^_+|_+$',
        ''
    ) }}
{%- endmacro %}
