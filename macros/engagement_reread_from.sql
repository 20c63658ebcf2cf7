{#
    The body of an incremental model's watermark CTE: one row, reread_from, the time from which its
    incremental run reads rows again, the latest loaded_at already in the model ({{ this }}) minus var
    engagement__lookback_hours (24), for loads that commit late. A loaded_at later than this run's
    start is taken for a typo, not a watermark: its row is simply read again by every run until then.
    Null when the model holds no such row (read everything). The events layer and fct_events share it,
    so that fct_events never starts later than the events layer.
#}
{% macro engagement_reread_from() -%}
    {%- set lookback_hours = engagement_int_var('engagement__lookback_hours', 24) -%}
    select
        {{ engagement_dateadd('hour', -lookback_hours, 'max(loaded_at)') }} as reread_from
    from {{ this }}
    where loaded_at <= cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
{%- endmacro %}
