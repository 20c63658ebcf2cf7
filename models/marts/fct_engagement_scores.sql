{#-
    The engagement score of every entity and month: the sum of its signals' points, the best
    score the weights allow, the score normalized to 0-100, and the band the score falls in.
-#}
{%- set declaration = engagement_score_model() -%}
{%- set score_model = engagement_string_literal(declaration.name) -%}

with

components as (

    select * from {{ ref('fct_engagement_score_components') }}

),

periods as (

    select * from {{ ref('int_entity_periods_spined') }}

),

signals as (

    {{ engagement_signals_relation(declaration) }}

),

weights as (

    select * from {{ ref('engagement_weights') }}
    where score_model = {{ score_model }}

),

bands as (

    select * from {{ ref('engagement_bands') }}
    where score_model = {{ score_model }}

),

-- The best a signal can earn: its best tier, or its cap for positive per-unit points; never
-- below 0, since a value in no tier (or no units) earns 0.
signal_best_points as (

    select
        signals.signal,
        coalesce(max(
            case
                when weights.rule = 'tier' then weights.points
                when weights.rule = 'per_unit' and weights.points > 0 then weights.cap
            end
        ), 0) as best_points
    from signals
    left join weights
        on signals.signal = weights.signal
    group by signals.signal

),

max_score as (

    select sum(case when best_points > 0 then best_points else 0 end) as max_score
    from signal_best_points

),

scores as (

    select
        entity_id,
        period_start,
        sum(points) as score
    from components
    group by entity_id, period_start

),

scored as (

    select
        periods.entity_id,
        periods.account_id,
        periods.period_start,
        periods.period_end,
        periods.as_of_date,
        scores.score,
        max_score.max_score,
        case
            when max_score.max_score > 0
                then round(
                    100 * (case
                        when scores.score < 0 then 0
                        when scores.score > max_score.max_score then max_score.max_score
                        else scores.score
                    end) / max_score.max_score,
                    2
                )
            else 0
        end as normalized_score
    from periods
    inner join scores
        on
            periods.entity_id = scores.entity_id
            and periods.period_start = scores.period_start
    cross join max_score

),

final as (

    select
        {{ score_model }} as score_model,
        {{ engagement_string_literal(declaration.entity_type) }} as entity_type,
        scored.entity_id,
        scored.account_id,
        scored.period_start,
        scored.period_end,
        scored.as_of_date,
        cast(scored.score as decimal(18, 4)) as score,
        cast(scored.max_score as decimal(18, 4)) as max_score,
        cast(scored.normalized_score as decimal(5, 2)) as normalized_score,
        bands.band
    from scored
    left join bands
        on
            scored.score >= coalesce(bands.min_score, scored.score)
            and (bands.max_score is null or scored.score < bands.max_score)

)

select * from final
