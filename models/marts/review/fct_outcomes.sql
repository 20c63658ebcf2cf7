{#-
    The clean outcomes, one row per distinct valid outcome (a row sent twice is one outcome; the
    review uses each entity's first occurrence per outcome).
-#}
with

outcomes as (

    select * from {{ ref('stg_outcomes__outcomes') }}

),

final as (

    select distinct
        entity_id,
        score_model,
        entity_type,
        outcome,
        occurred_at,
        occurred_on
    from outcomes
    where reject_reason is null

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.entity_id',
        'final.score_model',
        'final.entity_type',
        'final.outcome',
        'final.occurred_at'
    ]) }} as outcome_key
from final
