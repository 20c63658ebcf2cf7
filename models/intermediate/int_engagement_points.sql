{#-
    The points every measure earns under the weights seed: the rules of every score model, written
    once. A measure row matches at most one weights row of its model and signal:
    - tier: min_value <= value < max_value (a blank bound is open); a value in no tier earns 0;
    - per_unit: points for each full unit of the value, held to the cap;
    - linear: points x value / unit (no rounding down), held to the cap (for 0-100 components).
    A null measure earns 0. best_points is the most the signal can earn (its best tier, or the cap
    of positive per_unit and linear points; 0 when it can only lose), from which the scores take
    the model's maximum.
    A view: its query is a join with the small weights seed over the measures' long rows, which
    int_engagement_measures makes as it is read; writing them as a table (one row per entity, period
    and signal, twenty columns) cost more than its readers (the scores, the components mart, the
    review's observations) computing them each (at 10M events: 2-3 s to write, about 0.3 s a read).
-#}
{{ config(materialized='view') }}
with

measures as (

    select * from {{ ref('int_engagement_measures') }}

),

weights as (

    select * from {{ ref('engagement_weights') }}

),

signal_best_points as (

    select
        score_model,
        signal,
        -- a value in no tier, or in no unit, earns 0: the best is never below 0
        greatest(
            max(
                case
                    when rule = 'tier' then points
                    when rule in ('per_unit', 'linear') and points > 0 then cap
                    else 0
                end
            ),
            0
        ) as best_points
    from weights
    group by score_model, signal

),

matched as (

    select
        measures.*,
        weights.rule,
        case
            -- least() and greatest() skip nulls on some engines: a null measure is settled here
            when measures.measure_value is null then 0
            when weights.rule = 'tier' then weights.points
            when weights.rule = 'per_unit' then floor(measures.measure_value / weights.unit) * weights.points
            when weights.rule = 'linear' then measures.measure_value / weights.unit * weights.points
        end as uncapped_points,
        weights.cap
    from measures
    left join weights
        on
            measures.score_model = weights.score_model
            and measures.signal = weights.signal
            and (
                weights.rule != 'tier'
                or (
                    measures.measure_value >= coalesce(weights.min_value, measures.measure_value)
                    and (weights.max_value is null or measures.measure_value < weights.max_value)
                )
            )

),

final as (

    select
        matched.score_model,
        matched.entity_type,
        matched.entity_id,
        matched.account_id,
        matched.group_id,
        matched.period_kind,
        matched.period_type,
        matched.period_start,
        matched.period_end,
        matched.effective_end,
        matched.as_of_date,
        matched.is_first_period,
        matched.last_event_on,
        matched.signal,
        matched.measure,
        matched.measure_value,
        cast(coalesce(
            case
                when matched.cap is null then matched.uncapped_points
                when matched.cap >= 0 then least(matched.uncapped_points, matched.cap)
                else greatest(matched.uncapped_points, matched.cap)
            end,
            0
        ) as decimal(18, 4)) as points,
        cast(coalesce(signal_best_points.best_points, 0) as decimal(18, 4)) as best_points,
        -- the key of the grain, as int_engagement_measures made it
        matched.measure_key
    from matched
    left join signal_best_points
        on
            matched.score_model = signal_best_points.score_model
            and matched.signal = signal_best_points.signal

)

select * from final
