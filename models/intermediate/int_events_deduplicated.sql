{#-
    Every raw row with its final reject reason. Among rows otherwise valid, all but one copy of
    an event_id are duplicates: the copy kept has the latest loaded_at, ties broken by the row's
    content, so the outcome never depends on the order the rows arrived in.
    Only the event_ids with more than one valid copy (a few percent of the rows) are ranked; the
    rest pass straight through, so the sort touches the copies alone.
-#}
with

events as (

    select * from {{ ref('stg_product__events') }}

),

copied_event_ids as (

    select event_id
    from events
    where reject_reason is null
    group by event_id
    having count(*) > 1

),

single_copies as (

    -- rejected rows, and valid rows whose event_id has no other valid copy
    select
        events.*,
        cast(null as {{ dbt.type_int() }}) as copy_rank
    from events
    left join copied_event_ids
        on events.event_id = copied_event_ids.event_id
    where
        events.reject_reason is not null
        or copied_event_ids.event_id is null

),

ranked_copies as (

    select
        events.*,
        row_number() over (
            partition by events.event_id
            -- the fingerprint hashes the columns joined with '|' and nulls as '<null>', so two
            -- different rows can share it ('a|b', 'c' and 'a', 'b|c'); the raw columns settle
            -- what is left, so that no tie falls to row order
            order by
                events.loaded_at desc nulls last,
                {{ dbt.hash(dbt.concat([
                    "coalesce(events.raw_event_id, '<null>')", "'|'",
                    "coalesce(events.raw_occurred_at, '<null>')", "'|'",
                    "coalesce(events.raw_user_id, '<null>')", "'|'",
                    "coalesce(events.raw_account_id, '<null>')", "'|'",
                    "coalesce(events.raw_event_type, '<null>')", "'|'",
                    "coalesce(events.raw_properties, '<null>')", "'|'",
                    "coalesce(events.raw_loaded_at, '<null>')"
                ])) }} asc,
                events.raw_event_id asc nulls first,
                events.raw_occurred_at asc nulls first,
                events.raw_user_id asc nulls first,
                events.raw_account_id asc nulls first,
                events.raw_event_type asc nulls first,
                events.raw_properties asc nulls first,
                events.raw_loaded_at asc nulls first
        ) as copy_rank
    from events
    inner join copied_event_ids
        on events.event_id = copied_event_ids.event_id
    where events.reject_reason is null

),

decided as (

    select * from single_copies

    union all

    select * from ranked_copies

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
        {%- for property in engagement_declared_properties() %}
        {{ property.column }},
        {%- endfor %}
        coalesce(reject_reason, case when copy_rank > 1 then 'duplicate_event_id' end) as reject_reason
    from decided

)

select * from final
