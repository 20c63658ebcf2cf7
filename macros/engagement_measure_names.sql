{# The measures int_entity_periods_measured computes, which signals in the engagement_signals seed may name. #}
{% macro engagement_measure_names() -%}
    {{ return([
        'login_days',
        'features_adopted',
        'avg_session_minutes',
        'days_inactive',
        'latest_nps',
        'open_tickets',
    ]) }}
{%- endmacro %}
