{# Calendar months from one date's month to another's (2025-01-31 to 2025-02-01 is 1), as a whole number. #}
{% macro engagement_months_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('engagement_months_between', 'engagement_scoring')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__engagement_months_between(start_date, end_date) -%}
    {#- Portable on purpose: dbt-spark's datediff(month) counts Jan 31 to Feb 28 as 2 months. -#}
    cast(
        (extract(year from {{ end_date }}) - extract(year from {{ start_date }})) * 12
        + extract(month from {{ end_date }}) - extract(month from {{ start_date }})
        as {{ dbt.type_int() }}
    )
{%- endmacro %}
