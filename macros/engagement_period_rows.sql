{#
    The rows of `rows` (events or day rows of a score model, each with occurred_on, up to the as-of
    date) in the periods they count in, with period_kind and period_start: each once in its calendar
    period (week, month or quarter), and again in the trailing window when it falls in it
    (engagement_as_of's window_start on). The body of a generated measures macro's CTE.
#}
{% macro engagement_period_rows(rows, period) -%}
    select
        {{ rows }}.*,
        'calendar' as period_kind,
        cast({{ dbt.date_trunc(period, rows ~ '.occurred_on') }} as date) as period_start
    from {{ rows }}

    union all

    select
        {{ rows }}.*,
        'trailing' as period_kind,
        as_of.window_start as period_start
    from {{ rows }}
    cross join as_of
    where {{ rows }}.occurred_on >= as_of.window_start
{%- endmacro %}
