{# Whole calendar periods (week, month, quarter) from one date's period to another's. #}
{% macro engagement_periods_between(period, start_date, end_date) -%}
    {%- if period == 'month' -%}
    {{ engagement_months_between(start_date, end_date) }}
    {%- elif period == 'quarter' -%}
    cast(
        {{ engagement_months_between(dbt.date_trunc('quarter', start_date), dbt.date_trunc('quarter', end_date)) }} / 3
        as {{ dbt.type_int() }}
    )
    {%- else -%}
    cast(
        {{ dbt.datediff(
            'cast(' ~ dbt.date_trunc('week', start_date) ~ ' as date)',
            'cast(' ~ dbt.date_trunc('week', end_date) ~ ' as date)',
            'day'
        ) }} / 7
        as {{ dbt.type_int() }}
    )
    {%- endif -%}
{%- endmacro %}
