{#-
    The calibration table: per score model, outcome, calendar period and band, the entities and the
    share of them whose first occurrence of the outcome fell within the horizon after the period
    (see int_engagement_outcome_observations for which periods count). A score that works shows
    churn rising from the top band to the lowest (and conversion falling): band_trend says, per
    model, outcome and period, whether the rate rises, falls, stays flat or does neither
    ('mixed') along the bands from the top (band_order 1) down.
-#}
with

observations as (

    select * from {{ ref('int_engagement_outcome_observations') }}
    where signal = '(score)'

),

bands as (

    select
        score_model,
        outcome,
        period_start,
        period_end,
        band,
        band_order,
        count(*) as entities,
        sum(case when had_outcome then 1 else 0 end) as entities_with_outcome
    from observations
    group by score_model, outcome, period_start, period_end, band, band_order

),

with_periods as (

    select
        bands.*,
        sum(bands.entities) over (partition by bands.score_model, bands.outcome, bands.period_start) as period_entities,
        sum(bands.entities_with_outcome)
            over (partition by bands.score_model, bands.outcome, bands.period_start)
            as period_entities_with_outcome,
        {{ engagement_ratio('entities_with_outcome', 'entities') }} as outcome_rate
    from bands

),

steps as (

    select
        with_periods.*,
        -- the change in rate from the band above; the cold-start '(new)' rows have no band order
        -- and are not part of the trend
        case
            when with_periods.band_order is not null
                then with_periods.outcome_rate - lag(with_periods.outcome_rate) over (
                    partition by
                        with_periods.score_model,
                        with_periods.outcome,
                        with_periods.period_start,
                        case when with_periods.band_order is null then 1 else 0 end
                    order by with_periods.band_order
                )
        end as rate_step
    from with_periods

),

trends as (

    select
        score_model,
        outcome,
        period_start,
        sum(case when rate_step > 0 then 1 else 0 end) as steps_up,
        sum(case when rate_step < 0 then 1 else 0 end) as steps_down
    from steps
    group by score_model, outcome, period_start

),

final as (

    select
        steps.score_model,
        steps.outcome,
        steps.period_start,
        steps.period_end,
        steps.band,
        steps.band_order,
        cast(steps.entities as {{ dbt.type_bigint() }}) as entities,
        cast(steps.entities_with_outcome as {{ dbt.type_bigint() }}) as entities_with_outcome,
        steps.outcome_rate,
        cast(steps.period_entities as {{ dbt.type_bigint() }}) as period_entities,
        {{ engagement_ratio('steps.period_entities_with_outcome', 'steps.period_entities') }} as period_outcome_rate,
        {{ engagement_ratio(
            'steps.entities_with_outcome * steps.period_entities',
            'steps.entities * steps.period_entities_with_outcome'
        ) }} as lift,
        case
            when trends.steps_up > 0 and trends.steps_down = 0 then 'rising'
            when trends.steps_down > 0 and trends.steps_up = 0 then 'falling'
            when trends.steps_up = 0 and trends.steps_down = 0 then 'flat'
            else 'mixed'
        end as band_trend
    from steps
    inner join trends
        on
            steps.score_model = trends.score_model
            and steps.outcome = trends.outcome
            and steps.period_start = trends.period_start

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.score_model',
        'final.outcome',
        'final.period_start',
        'final.band'
    ]) }} as calibration_key
from final
