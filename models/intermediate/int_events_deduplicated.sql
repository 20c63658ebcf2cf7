{#-
    Every raw row with its final reject reason. Among rows otherwise valid, all but one copy of
    an event_id are duplicates: the copy kept has the latest loaded_at, ties broken by the row's
    content, so the outcome never depends on the order the rows arrived in.
-#}
with

events as (

    select * from {{ ref('stg_product__events') }}

),

ranked as (

    select
        events.*,
        case
            when events.reject_reason is null
                then row_number() over (
                    partition by events.event_id, events.reject_reason
                    -- the fingerprint hashes the columns joined with '|' and nulls as '<null>', so two
                    -- different rows can share it ('a|b', 'c' and 'a', 'b|c'); the raw columns settle
                    -- what is left, so that no tie falls to row order
                    order by
                        events.loaded_at desc nulls last,
                        events.row_fingerprint asc,
                        events.raw_event_id asc nulls first,
                        events.raw_occurred_at asc nulls first,
                        events.raw_user_id asc nulls first,
                        events.raw_account_id asc nulls first,
                        events.raw_event_type asc nulls first,
                        events.raw_properties asc nulls first,
                        events.raw_loaded_at asc nulls first
                )
        end as copy_rank
    from events

),

final as (

    select
        raw_event_id,
        raw_occurred_at,
        raw_user_id,
        raw_account_id,
        raw_event_type,
        raw_properties,
        raw_loaded_at,
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
        ticket_id,
        coalesce(reject_reason, case when copy_rank > 1 then 'duplicate_event_id' end) as reject_reason
    from ranked

)

select * from final
