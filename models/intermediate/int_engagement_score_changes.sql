{#-
    Every score row with how it moved since the entity's previous period of the same model, and the
    figures the alert rules and the current view read:
    - previous_score, previous_normalized_score, previous_band: the period before (the periods of an
      entity are contiguous, quiet ones included); null in the entity's first period;
    - score_change, normalized_change: this period minus the previous one;
    - band_change: up (to a better band, a lower band_order), down, same; null in the first period
      and when either period has no band (cold start: new);
    - periods_in_lowest_band: consecutive periods in the model's lowest band ending with this one
      (0 when this one is not);
    - days_since_last_event: days from the entity's latest event to the period's end (its end is
      the as-of date for the open period);
    - period_number: 1 for the entity's first calendar period, then 2, 3, ...;
    - weights_version: the rules that produced the score (int_engagement_rule_versions).
    Trailing rows carry the version and the days figure; they have no previous period.
-#}
with

scores as (

    select * from {{ ref('int_engagement_scores') }}

),

versions as (

    select * from {{ ref('int_engagement_rule_versions') }}

),

numbered as (

    select
        scores.*,
        row_number() over entity_periods as period_number,
        lag(scores.score) over entity_periods as previous_score,
        lag(scores.normalized_score) over entity_periods as previous_normalized_score,
        lag(scores.band) over entity_periods as previous_band,
        lag(scores.band_order) over entity_periods as previous_band_order
    from scores
    window entity_periods as (
        partition by scores.score_model, scores.entity_id, scores.period_kind
        order by scores.period_start
    )

),

runs as (

    select
        numbered.*,
        -- the last period before or at this one that was not in the lowest band (0: none yet)
        max(case when not numbered.is_lowest_band then numbered.period_number else 0 end) over (
            partition by numbered.score_model, numbered.entity_id, numbered.period_kind
            order by numbered.period_start
            rows between unbounded preceding and current row
        ) as last_period_above_lowest
    from numbered

),

final as (

    select
        runs.score_model,
        runs.entity_type,
        runs.entity_id,
        runs.account_id,
        runs.group_id,
        runs.period_kind,
        runs.period_type,
        runs.period_start,
        runs.period_end,
        runs.effective_end,
        runs.as_of_date,
        runs.is_first_period,
        runs.period_number,
        runs.score,
        runs.max_score,
        runs.normalized_score,
        runs.percentile,
        runs.band,
        runs.band_order,
        runs.is_lowest_band,
        -- cast again: a window function drops the scale on PostgreSQL
        cast(runs.previous_score as decimal(18, 4)) as previous_score,
        cast(runs.previous_normalized_score as decimal(5, 2)) as previous_normalized_score,
        runs.previous_band,
        cast(runs.score - runs.previous_score as decimal(18, 4)) as score_change,
        cast(runs.normalized_score - runs.previous_normalized_score as decimal(6, 2)) as normalized_change,
        case
            when runs.band_order is null or runs.previous_band_order is null then null
            when runs.band_order < runs.previous_band_order then 'up'
            when runs.band_order > runs.previous_band_order then 'down'
            else 'same'
        end as band_change,
        cast(
            case
                when runs.is_lowest_band then runs.period_number - runs.last_period_above_lowest
                else 0
            end
            as {{ dbt.type_int() }}
        ) as periods_in_lowest_band,
        runs.last_event_on,
        cast(
            {{ dbt.datediff('runs.last_event_on', 'runs.effective_end', 'day') }}
            as {{ dbt.type_int() }}
        ) as days_since_last_event,
        versions.weights_version,
        runs.score_key
    from runs
    left join versions
        on runs.score_model = versions.score_model

)

select * from final
