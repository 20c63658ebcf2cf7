{#-
    One row per UTC day from 2000-01-01 (the earliest event date the project accepts by default)
    through 2049-12-31: the date dimension, and the time spine MetricFlow needs for the semantic
    layer's metrics (configured as `time_spine` in _marts__semantic_models.yml).
-#}
with

day_numbers as (

    {{ engagement_integers(5) }}

),

final as (

    select
        cast({{ engagement_dateadd('day', 'n', "cast('2000-01-01' as date)") }} as date) as date_day
    from day_numbers
    where n < 18263

)

select * from final
