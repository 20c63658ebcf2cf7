{#-
    Every entity's current score, per score model: measured over the trailing window_days up to
    the as-of date (the model's window_days, by default the length of its period), so that a daily
    job reads a fair score on any day, not one of a period that has only begun. "As of" measures
    (days inactive, latest answers, open items) are those of the as-of date.
-#}
{%- set window_length = dbt.datediff('period_start', 'period_end', 'day') ~ ' + 1' %}

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
        period_start as window_start,
        period_end as window_end,
        cast({{ window_length }} as {{ dbt.type_int() }}) as window_days,
        as_of_date,
        score,
        max_score,
        normalized_score,
        percentile,
        band,
        is_first_period as is_new,
        weights_version
    from scores
    where
        period_kind = 'trailing'
        and {{ engagement_exposed('score_model') }}

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.score_model',
        'final.entity_id'
    ]) }} as trailing_score_key
from final
