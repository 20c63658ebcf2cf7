{#-
    Which signals foresee each outcome: per score model, outcome and signal, over every observation
    of int_engagement_outcome_observations (entity-periods whose horizon is over), the outcome rate
    when the signal earns positive, zero and negative points, each rate's lift against the base
    rate (the rate over all the observations), and the AUC of the signal's measure and of the total
    score (int_engagement_outcome_aucs). predictive_strength = |AUC - 0.5| x 2 (0: chance, 1: the
    measure separates the two sides perfectly, in either direction); strength_rank orders the
    model's signals by it for the outcome. Counts are shown beside each rate, so a rate resting on
    a handful of entities is seen as such.
-#}
with

observations as (

    select * from {{ ref('int_engagement_outcome_observations') }}
    where signal != '(score)'

),

aucs as (

    select * from {{ ref('int_engagement_outcome_aucs') }}

),

counted as (

    select
        score_model,
        outcome,
        signal,
        count(*) as observations,
        sum(case when had_outcome then 1 else 0 end) as observations_with_outcome,
        sum(case when points > 0 then 1 else 0 end) as positive_observations,
        sum(case when points > 0 and had_outcome then 1 else 0 end) as positive_with_outcome,
        sum(case when points = 0 then 1 else 0 end) as zero_observations,
        sum(case when points = 0 and had_outcome then 1 else 0 end) as zero_with_outcome,
        sum(case when points < 0 then 1 else 0 end) as negative_observations,
        sum(case when points < 0 and had_outcome then 1 else 0 end) as negative_with_outcome
    from observations
    group by score_model, outcome, signal

),

rated as (

    select
        counted.*,
        {{ engagement_ratio('observations_with_outcome', 'observations') }} as base_rate,
        {{ engagement_ratio('positive_with_outcome', 'positive_observations') }} as positive_outcome_rate,
        {{ engagement_ratio('zero_with_outcome', 'zero_observations') }} as zero_outcome_rate,
        {{ engagement_ratio('negative_with_outcome', 'negative_observations') }} as negative_outcome_rate,
        {{ engagement_ratio(
            'positive_with_outcome * observations', 'positive_observations * observations_with_outcome'
        ) }} as positive_lift,
        {{ engagement_ratio(
            'zero_with_outcome * observations', 'zero_observations * observations_with_outcome'
        ) }} as zero_lift,
        {{ engagement_ratio(
            'negative_with_outcome * observations', 'negative_observations * observations_with_outcome'
        ) }} as negative_lift
    from counted

),

with_aucs as (

    select
        rated.*,
        signal_aucs.auc as measure_auc,
        signal_aucs.ranked_observations as measured_observations,
        signal_aucs.null_measures,
        cast(abs(signal_aucs.auc - 0.5) * 2 as decimal(6, 4)) as predictive_strength,
        score_aucs.auc as score_auc,
        cast(abs(score_aucs.auc - 0.5) * 2 as decimal(6, 4)) as score_predictive_strength
    from rated
    left join aucs as signal_aucs
        on
            rated.score_model = signal_aucs.score_model
            and rated.outcome = signal_aucs.outcome
            and rated.signal = signal_aucs.signal
    left join aucs as score_aucs
        on
            rated.score_model = score_aucs.score_model
            and rated.outcome = score_aucs.outcome
            and score_aucs.signal = '(score)'

),

final as (

    select
        score_model,
        outcome,
        signal,
        cast(observations as {{ dbt.type_bigint() }}) as observations,
        cast(observations_with_outcome as {{ dbt.type_bigint() }}) as observations_with_outcome,
        base_rate,
        cast(positive_observations as {{ dbt.type_bigint() }}) as positive_observations,
        positive_outcome_rate,
        positive_lift,
        cast(zero_observations as {{ dbt.type_bigint() }}) as zero_observations,
        zero_outcome_rate,
        zero_lift,
        cast(negative_observations as {{ dbt.type_bigint() }}) as negative_observations,
        negative_outcome_rate,
        negative_lift,
        measured_observations,
        null_measures,
        measure_auc,
        predictive_strength,
        cast(rank() over (
            partition by score_model, outcome
            order by coalesce(predictive_strength, -1) desc
        ) as {{ dbt.type_int() }}) as strength_rank,
        score_auc,
        score_predictive_strength
    from with_aucs

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.score_model',
        'final.outcome',
        'final.signal'
    ]) }} as signal_review_key
from final
