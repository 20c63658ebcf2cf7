{#-
    The engagement score of every entity and period of every score model, written once for all:
    the sum of its signals' points, the best score the weights allow (max_score), the score on
    0-100 (100 x clamp(score, 0, max_score) / max_score), its percentile within the model and period
    (100 x percent_rank: 0 for the lowest score, 100 for the highest, ties alike), and its band from
    engagement_bands (with its order, and whether it is the model's lowest, for the roll-ups). Under
    a model's cold_start: new, an entity's first period has no band (its score still counts in
    roll-ups, and it is not counted in the lowest band).
-#}
{%- set new_without_band = engagement_cold_start_new_models() %}

with

points as (

    select * from {{ ref('int_engagement_points') }}

),

bands as (

    select
        engagement_bands.*,
        max(engagement_bands.band_order) over (partition by engagement_bands.score_model) as lowest_band_order
    from {{ ref('engagement_bands') }} as engagement_bands

),

scores as (

    select
        score_model,
        entity_type,
        entity_id,
        account_id,
        group_id,
        period_kind,
        period_type,
        period_start,
        period_end,
        effective_end,
        as_of_date,
        is_first_period,
        last_event_on,
        sum(points) as score,
        sum(case when best_points > 0 then best_points else 0 end) as max_score
    from points
    group by
        score_model,
        entity_type,
        entity_id,
        account_id,
        group_id,
        period_kind,
        period_type,
        period_start,
        period_end,
        effective_end,
        as_of_date,
        is_first_period,
        last_event_on

),

normalized as (

    select
        scores.*,
        case
            when scores.max_score > 0
                then round(
                    100 * (case
                        when scores.score < 0 then 0
                        when scores.score > scores.max_score then scores.max_score
                        else scores.score
                    end) / scores.max_score,
                    2
                )
            else 0
        end as normalized_score,
        -- cold_start: new leaves an entity's first period without a band
        {%- if new_without_band %}
        (
            not scores.is_first_period
            or scores.score_model not in (
                {%- for name in new_without_band %}
                {{ engagement_string_literal(name) }}{{ "," if not loop.last }}
                {%- endfor %}
            )
        ) as is_banded,
        {%- else %}
        true as is_banded,
        {%- endif %}
        -- percent_rank() is a double: cast to a decimal first (PostgreSQL rounds only numerics)
        round(
            cast(
                100 * percent_rank()
                    over (
                        partition by scores.score_model, scores.period_kind, scores.period_start
                        order by scores.score
                    )
                as decimal(18, 6)
            ),
            2
        ) as percentile
    from scores

),

final as (

    select
        normalized.score_model,
        normalized.entity_type,
        normalized.entity_id,
        normalized.account_id,
        normalized.group_id,
        normalized.period_kind,
        normalized.period_type,
        normalized.period_start,
        normalized.period_end,
        normalized.effective_end,
        normalized.as_of_date,
        normalized.is_first_period,
        normalized.last_event_on,
        cast(normalized.score as decimal(18, 4)) as score,
        cast(normalized.max_score as decimal(18, 4)) as max_score,
        cast(normalized.normalized_score as decimal(5, 2)) as normalized_score,
        cast(normalized.percentile as decimal(5, 2)) as percentile,
        case when not normalized.is_banded then null else bands.band end as band,
        case when not normalized.is_banded then null else bands.band_order end as band_order,
        coalesce(normalized.is_banded and bands.band_order = bands.lowest_band_order, false) as is_lowest_band,
        {{ engagement_surrogate_key([
            'normalized.score_model',
            'normalized.entity_id',
            'normalized.period_kind',
            'normalized.period_start'
        ]) }} as score_key
    from normalized
    left join bands
        on
            normalized.score_model = bands.score_model
            and normalized.score >= coalesce(bands.min_score, normalized.score)
            and (bands.max_score is null or normalized.score < bands.max_score)

)

select * from final
