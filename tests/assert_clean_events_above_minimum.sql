{{ config(tags=['volume_guard']) }}
{#-
    Volume guard: fewer clean events than var engagement__min_clean_events means the feed (or its
    parsing) broke; publishing would replace every score with next to nothing.
-#}
{%- set minimum = engagement_int_var('engagement__min_clean_events', 1) -%}
with

clean_events as (

    select count(*) as clean_rows from {{ ref('fct_events') }}

),

final as (

    select
        clean_rows as figure,
        {{ minimum }} as threshold,
        {{ dbt.concat([
            "'clean events: '",
            "cast(clean_rows as " ~ dbt.type_string() ~ ")",
            "', below the minimum of " ~ minimum ~ " (var engagement__min_clean_events)'",
        ]) }} as problem
    from clean_events
    where clean_rows < {{ minimum }}

)

select * from final
