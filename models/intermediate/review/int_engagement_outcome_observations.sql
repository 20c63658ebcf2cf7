{#-
    The observations the review is computed from: one row per calendar score row (entity and
    period) of a model, outcome the model has, and signal, plus one row for the total score
    (signal '(score)'): the measure and points of the period, and whether the entity's first
    occurrence of the outcome fell within the horizon after the period's end
    (period_end < first occurrence <= period_end + var engagement__outcome_horizon_days, default 90).
    Left out: periods after the entity already had the outcome, and periods whose horizon is not
    over by the date outcomes are known through (var engagement__outcomes_observed_through, default
    the latest outcome date in the data), whose rates would be too low. Private models are left out
    unless engagement__expose_private_scores allows them.
-#}
{%- set horizon_days = engagement_int_var('engagement__outcome_horizon_days', 90) -%}
{%- set observed_through = engagement_date_var('engagement__outcomes_observed_through') %}
with

scores as (

    select * from {{ ref('int_engagement_scores') }}
    where period_kind = 'calendar' and {{ engagement_exposed('score_model') }}

),

points as (

    select * from {{ ref('int_engagement_points') }}
    where period_kind = 'calendar' and {{ engagement_exposed('score_model') }}

),

outcomes as (

    select * from {{ ref('int_outcomes_matched') }}

),

observed as (

    {%- if observed_through %}
    select {{ observed_through }} as observed_through
    {%- else %}
    select max(first_occurred_on) as observed_through
    from outcomes
    {%- endif %}

),

model_outcomes as (

    select distinct
        score_model,
        outcome
    from outcomes

),

observations as (

    select
        scores.score_model,
        model_outcomes.outcome,
        scores.entity_id,
        scores.period_start,
        scores.period_end,
        scores.score,
        coalesce(scores.band, '(new)') as band,
        scores.band_order,
        coalesce(
            outcomes.first_occurred_on > scores.period_end
            and outcomes.first_occurred_on
            <= cast({{ engagement_dateadd('day', horizon_days, 'scores.period_end') }} as date),
            false
        ) as had_outcome
    from scores
    inner join model_outcomes
        on scores.score_model = model_outcomes.score_model
    cross join observed
    left join outcomes
        on
            scores.score_model = outcomes.score_model
            and scores.entity_id = outcomes.entity_id
            and model_outcomes.outcome = outcomes.outcome
    where
        (outcomes.first_occurred_on is null or outcomes.first_occurred_on > scores.period_end)
        and cast({{ engagement_dateadd('day', horizon_days, 'scores.period_end') }} as date)
        <= observed.observed_through

),

signal_rows as (

    select
        observations.score_model,
        observations.outcome,
        observations.entity_id,
        observations.period_start,
        observations.period_end,
        observations.band,
        observations.band_order,
        points.signal,
        cast(points.measure_value as {{ engagement_type_double() }}) as measure_value,
        points.points,
        observations.had_outcome
    from observations
    inner join points
        on
            observations.score_model = points.score_model
            and observations.entity_id = points.entity_id
            and observations.period_start = points.period_start

),

score_rows as (

    select
        score_model,
        outcome,
        entity_id,
        period_start,
        period_end,
        band,
        band_order,
        '(score)' as signal,  -- noqa: RF04
        cast(score as {{ engagement_type_double() }}) as measure_value,
        score as points,
        had_outcome
    from observations

),

final as (

    select * from signal_rows
    union all
    select * from score_rows

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.score_model',
        'final.outcome',
        'final.entity_id',
        'final.period_start',
        'final.signal'
    ]) }} as observation_key
from final
