{#-
    The outcome rows that cannot be used, as they arrived, each with the first reason why; a row
    that arrived several times is one row with its number of copies.
-#}
with

outcomes as (

    select * from {{ ref('stg_outcomes__outcomes') }}

),

final as (

    select
        raw_entity_id,
        raw_score_model,
        raw_entity_type,
        raw_outcome,
        raw_occurred_at,
        reject_reason,
        cast(count(*) as {{ dbt.type_bigint() }}) as copies
    from outcomes
    where reject_reason is not null
    group by raw_entity_id, raw_score_model, raw_entity_type, raw_outcome, raw_occurred_at, reject_reason

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.raw_entity_id',
        'final.raw_score_model',
        'final.raw_entity_type',
        'final.raw_outcome',
        'final.raw_occurred_at'
    ]) }} as rejected_outcome_key
from final
