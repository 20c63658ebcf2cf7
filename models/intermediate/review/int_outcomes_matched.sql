{#-
    Each entity's first occurrence of each outcome, matched to the score models it belongs to: an
    outcome row naming a score_model applies to that model; one giving only an entity_type applies
    to every declared model of that entity type. Later occurrences are left out: the review asks
    whether a score foresaw the first one (a churned customer cannot churn again).
-#}
{%- set registry = engagement_score_model_registry() %}
with

outcomes as (

    select * from {{ ref('stg_outcomes__outcomes') }}
    where reject_reason is null

),

score_models as (

    {%- for name, declaration in registry.items() %}
    select
        {{ engagement_string_literal(name) }} as score_model,
        {{ engagement_string_literal(declaration.entity_type) }} as entity_type
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

matched as (

    select
        score_models.score_model,
        score_models.entity_type,
        outcomes.entity_id,
        outcomes.outcome,
        outcomes.occurred_at
    from outcomes
    inner join score_models
        on
            outcomes.score_model = score_models.score_model
            or (outcomes.score_model is null and outcomes.entity_type = score_models.entity_type)

),

final as (

    select
        score_model,
        entity_type,
        entity_id,
        outcome,
        min(occurred_at) as first_occurred_at,
        cast(min(occurred_at) as date) as first_occurred_on
    from matched
    group by score_model, entity_type, entity_id, outcome

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.score_model',
        'final.entity_id',
        'final.outcome'
    ]) }} as outcome_match_key
from final
