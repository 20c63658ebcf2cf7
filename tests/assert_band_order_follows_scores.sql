{#-
    The bands seed's band_order says which band is better (1 = best): the changes (band_change, the
    band_down alerts) and the lowest band (sustained_low, the roll-ups) read it. Within a score model
    a band of higher scores must have a lower order: an order against the scores turned the alerts
    the wrong way, with no error. One row per band ranked above a band of higher scores. validate
    checks the same before anything runs (check_band_order); a repeated order is the seed's own
    uniqueness rule.
-#}
with

bands as (

    select
        score_model,
        band,
        band_order,
        lag(band) over (
            partition by score_model order by min_score desc nulls last, band_order asc
        ) as band_above,
        lag(band_order) over (
            partition by score_model order by min_score desc nulls last, band_order asc
        ) as order_above
    from {{ ref('engagement_bands') }}

),

final as (

    select
        score_model,
        band,
        band_order,
        band_above,
        order_above
    from bands
    where band_order < order_above

)

select * from final
