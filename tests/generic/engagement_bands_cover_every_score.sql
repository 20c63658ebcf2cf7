{# Fails unless each score model's bands, ordered by min_score, run from no lower bound to no upper bound with no gap or overlap. #}
{% test engagement_bands_cover_every_score(model) %}

with

bands as (

    select
        score_model,
        band,
        min_score,
        max_score,
        lag(max_score) over (partition by score_model order by min_score nulls first, band) as previous_max_score,
        row_number() over (partition by score_model order by min_score nulls first, band) as band_rank,
        count(*) over (partition by score_model) as band_count
    from {{ model }}

),

problems as (

    select
        score_model,
        band,
        case
            when band_rank = 1 and min_score is not null
                then 'the lowest band must have no min_score, so that every low score has a band'
            when band_rank > 1 and min_score is null
                then 'only one band may have no min_score'
            when band_rank = band_count and max_score is not null
                then 'the highest band must have no max_score, so that every high score has a band'
            when band_rank < band_count and max_score is null
                then 'only the highest band may have no max_score'
            when min_score >= max_score
                then 'min_score must be below max_score'
            when band_rank > 1 and min_score <> previous_max_score
                then 'min_score must equal the max_score of the band below (no gap, no overlap)'
        end as problem
    from bands

)

select * from problems where problem is not null

{% endtest %}
