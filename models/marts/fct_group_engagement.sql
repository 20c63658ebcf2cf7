{#-
    Roll-ups of a score model's entities by a group property it declares (group_by, e.g. the
    department of an employee, their latest value up to the as-of date), per calendar period: members
    scored, average and lowest normalized score, share in the model's lowest band. Privacy floor: a
    group with fewer members than the model's min_group_size (for private models at least the var
    engagement__privacy_min_group_size, default 5) is suppressed: no score and no member count, so
    that no individual's answers can be inferred.
-#}
{%- set floors = engagement_group_roll_ups() %}

with

scores as (

    select * from {{ ref('int_engagement_scores') }}
    where period_kind = 'calendar' and group_id is not null

),

grouped_models as (

    {% for name, group_property, floor in floors -%}
    select
        {{ engagement_string_literal(name) }} as score_model,
        {{ engagement_string_literal(group_property) }} as group_property,
        {{ floor }} as min_group_size
    {% if not loop.last %}union all
    {% endif -%}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as score_model,
        cast(null as {{ dbt.type_string() }}) as group_property,
        0 as min_group_size
    where 1 = 0
    {%- endfor %}

),

groups as (

    select
        grouped_models.score_model,
        grouped_models.group_property,
        grouped_models.min_group_size,
        scores.group_id,
        scores.period_start,
        scores.period_end,
        count(*) as members,
        avg(scores.normalized_score) as avg_normalized_score,
        min(scores.normalized_score) as min_normalized_score,
        sum(case when scores.is_lowest_band then 1 else 0 end) as members_in_lowest_band
    from scores
    inner join grouped_models
        on scores.score_model = grouped_models.score_model
    group by
        grouped_models.score_model,
        grouped_models.group_property,
        grouped_models.min_group_size,
        scores.group_id,
        scores.period_start,
        scores.period_end

),

final as (

    select
        score_model,
        group_property,
        group_id,
        period_start,
        period_end,
        members < min_group_size as is_suppressed,
        cast(case when members >= min_group_size then members end as {{ dbt.type_bigint() }}) as members,
        cast(case when members >= min_group_size then avg_normalized_score end as decimal(5, 2))
            as avg_normalized_score,
        case when members >= min_group_size then min_normalized_score end as min_normalized_score,
        cast(
            case when members >= min_group_size then 1.0 * members_in_lowest_band / members end
            as decimal(5, 4)
        ) as share_in_lowest_band
    from groups

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.score_model',
        'final.group_id',
        'final.period_start'
    ]) }} as group_engagement_key
from final
