{#- The points of an entity and period's components add up exactly to its score. -#}
with

component_totals as (

    select
        score_model,
        entity_id,
        period_start,
        sum(points) as points
    from {{ ref('fct_engagement_score_components') }}
    group by score_model, entity_id, period_start

),

mismatches as (

    select
        scores.score_model,
        scores.entity_id,
        scores.period_start,
        scores.score,
        component_totals.points
    from {{ ref('fct_engagement_scores') }} as scores
    full outer join component_totals
        on
            scores.score_model = component_totals.score_model
            and scores.entity_id = component_totals.entity_id
            and scores.period_start = component_totals.period_start
    where
        scores.score is null
        or component_totals.points is null
        or scores.score <> component_totals.points

)

select * from mismatches
