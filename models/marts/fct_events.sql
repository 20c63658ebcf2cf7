{#- The clean events: every raw row that passed validation, one per event_id, in UTC. -#}
with

events as (

    select * from {{ ref('int_events_clean') }}

),

final as (

    select
        event_id,
        user_id,
        account_id,
        event_type,
        is_known_event_type,
        occurred_at,
        occurred_on,
        loaded_at,
        properties,
        feature,
        duration_seconds,
        nps_score,
        ticket_id
    from events

)

select * from final
