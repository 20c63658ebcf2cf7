{#-
    One row per score row of fct_engagement_scores and signal: the measure behind the signal and
    the points it earns under the weights seed (see int_engagement_points for the rules). The
    points of an entity and period add up to its score.
-#}
with

points as (

    select * from {{ ref('int_engagement_points') }}

),

final as (

    select
        score_model,
        entity_type,
        entity_id,
        period_start,
        signal,
        measure,
        measure_value,
        points
    from points
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
        'final.period_start',
        'final.signal'
    ]) }} as component_key
from final
