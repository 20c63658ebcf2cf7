{{ config(tags=['volume_guard']) }}
{#-
    Volume guard: an input with no rows at all (a header-only file, an empty table) is a broken
    feed, not a month without activity. Failing here keeps `engagement.py run` from publishing
    marts with every score gone.
-#}
with

raw_events as (

    select count(*) as raw_rows from {{ ref('base_product__events') }}

),

final as (

    select
        raw_rows as figure,
        1 as threshold,
        {{ dbt.concat([
            "'raw events: the input has '",
            "cast(raw_rows as " ~ dbt.type_string() ~ ")",
            "' rows, at least 1 is needed'",
        ]) }} as problem
    from raw_events
    where raw_rows < 1

)

select * from final
