{#- Raw rows that cannot be scored, exactly as they arrived, each with the first reason found. -#}
with

events as (

    select * from {{ ref('int_events_deduplicated') }}

),

final as (

    select
        raw_event_id as event_id,
        raw_occurred_at as occurred_at,
        raw_user_id as user_id,
        raw_account_id as account_id,
        raw_event_type as event_type,
        raw_properties as properties,
        raw_loaded_at as loaded_at,
        reject_reason,
        -- the primary key: the raw row's key in int_events_deduplicated
        event_row_key
    from events
    where reject_reason is not null

)

select * from final
