{#-
    The engagement score of every entity and calendar period of every score model (week, month or
    quarter, as each declares), from the period of the entity's first clean event through the
    as-of date's period, quiet periods included. Private models (individual employee scores) are
    left out unless the var engagement__expose_private_scores allows them. Each row says how the
    score moved since the entity's previous period (int_engagement_score_changes) and which rules
    produced it (weights_version).
-#}
with

scores as (

    select * from {{ ref('int_engagement_score_changes') }}

),

final as (

    select
        score_model,
        entity_type,
        entity_id,
        account_id,
        period_start,
        period_end,
        as_of_date,
        score,
        max_score,
        normalized_score,
        band,
        period_type,
        percentile,
        is_first_period,
        previous_score,
        previous_band,
        score_change,
        normalized_change,
        band_change,
        weights_version
    from scores
    where
        period_kind = 'calendar'
        and {{ engagement_exposed('score_model') }}

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.score_model',
        'final.entity_id',
        'final.period_start'
    ]) }} as score_key
from final
