{#-
    One row per score model and entity: where it stands now, for a CS dashboard or a reverse-ETL job.
    - score, normalized_score, band, percentile: the trailing window up to the as-of date (fair on
      any day of a period);
    - last_period_*: the last full calendar period (ended on or before the as-of date), and
      score_change, normalized_change, band_change: that period against the one before;
    - trend: rising, falling or flat over the last three full periods, by the change of the
      normalized score from the first to the last of them (at least var engagement__trend_min_change
      points either way; default 5); null with fewer than three full periods;
    - alert_count, alerts: the alerts raised in the open period (the as-of date's), alerts as a
      comma-separated list of alert types.
    Private models are left out unless the var engagement__expose_private_scores allows them.
-#}
{%- set trend_min_change = engagement_int_var('engagement__trend_min_change', 5) %}

with

changes as (

    select * from {{ ref('int_engagement_score_changes') }}
    where {{ engagement_exposed('score_model') }}

),

alerts as (

    select * from {{ ref('int_engagement_alerts') }}

),

trailing_windows as (

    select * from changes
    where period_kind = 'trailing'

),

full_periods as (

    select
        changes.*,
        row_number() over (
            partition by changes.score_model, changes.entity_id
            order by changes.period_start desc
        ) as recency
    from changes
    where
        changes.period_kind = 'calendar'
        and changes.period_end <= changes.as_of_date

),

last_full_periods as (

    select
        score_model,
        entity_id,
        max(case when recency = 1 then period_start end) as last_period_start,
        max(case when recency = 1 then period_end end) as last_period_end,
        max(case when recency = 1 then score end) as last_period_score,
        max(case when recency = 1 then normalized_score end) as last_period_normalized_score,
        max(case when recency = 1 then band end) as last_period_band,
        max(case when recency = 1 then score_change end) as score_change,
        max(case when recency = 1 then normalized_change end) as normalized_change,
        max(case when recency = 1 then band_change end) as band_change,
        max(case when recency = 3 then normalized_score end) as trend_start_normalized_score,
        count(*) as full_periods_in_trend
    from full_periods
    where recency <= 3
    group by score_model, entity_id

),

open_period_alerts as (

    select
        score_model,
        entity_id,
        count(*) as alert_count,
        {{ engagement_sorted_text_agg('alert_type', ', ') }} as alerts
    from alerts
    where period_end >= as_of_date
    group by score_model, entity_id

),

final as (

    select
        trailing_windows.score_model,
        trailing_windows.entity_type,
        trailing_windows.entity_id,
        trailing_windows.account_id,
        trailing_windows.as_of_date,
        trailing_windows.period_start as window_start,
        trailing_windows.period_end as window_end,
        trailing_windows.score,
        trailing_windows.max_score,
        trailing_windows.normalized_score,
        trailing_windows.percentile,
        trailing_windows.band,
        trailing_windows.is_first_period as is_new,
        last_full_periods.last_period_start,
        last_full_periods.last_period_end,
        cast(last_full_periods.last_period_score as decimal(18, 4)) as last_period_score,
        cast(last_full_periods.last_period_normalized_score as decimal(5, 2)) as last_period_normalized_score,
        last_full_periods.last_period_band,
        cast(last_full_periods.score_change as decimal(18, 4)) as score_change,
        cast(last_full_periods.normalized_change as decimal(6, 2)) as normalized_change,
        last_full_periods.band_change,
        -- cast outside the case and the aggregates: both drop the scale on PostgreSQL
        cast(
            case
                when last_full_periods.full_periods_in_trend = 3
                    then last_full_periods.last_period_normalized_score - last_full_periods.trend_start_normalized_score
            end
            as decimal(6, 2)
        ) as trend_normalized_change,
        case
            when coalesce(last_full_periods.full_periods_in_trend, 0) < 3 then null
            when
                last_full_periods.last_period_normalized_score - last_full_periods.trend_start_normalized_score
                >= {{ trend_min_change }}
                then 'rising'
            when
                last_full_periods.trend_start_normalized_score - last_full_periods.last_period_normalized_score
                >= {{ trend_min_change }}
                then 'falling'
            else 'flat'
        end as trend,
        trailing_windows.last_event_on,
        trailing_windows.days_since_last_event,
        cast(coalesce(open_period_alerts.alert_count, 0) as {{ dbt.type_int() }}) as alert_count,
        open_period_alerts.alerts,
        trailing_windows.weights_version
    from trailing_windows
    left join last_full_periods
        on
            trailing_windows.score_model = last_full_periods.score_model
            and trailing_windows.entity_id = last_full_periods.entity_id
    left join open_period_alerts
        on
            trailing_windows.score_model = open_period_alerts.score_model
            and trailing_windows.entity_id = open_period_alerts.entity_id

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.score_model',
        'final.entity_id'
    ]) }} as current_key
from final
