{# Adds a whole number of date parts (minute, day, month, ...) to a date or timestamp, keeping fractions of seconds; a date plus months stays on the month's last day when needed. #}
{% macro engagement_dateadd(datepart, interval, expr) -%}
    {{ return(adapter.dispatch('engagement_dateadd', 'engagement_scoring')(datepart, interval, expr)) }}
{%- endmacro %}

{% macro default__engagement_dateadd(datepart, interval, expr) -%}
    {{ dbt.dateadd(datepart, interval, expr) }}
{%- endmacro %}

{% macro spark__engagement_dateadd(datepart, interval, expr) -%}
    {#- dbt-spark's dateadd goes through unix seconds (dropping fractions) and asserts non-null input. -#}
    timestampadd({{ datepart | upper }}, {{ interval }}, {{ expr }})
{%- endmacro %}
