{#-
    The clean events, one per event_id, in UTC: the rows of int_events_deduplicated that passed
    validation, with the columns the score models read (ids, type, times, and the parsed
    property__<name> texts). The one source of events for fct_events and every score model.
    A view: int_events_deduplicated holds these rows already (incrementally), and a copy of them
    would be rewritten in full on every run.
-#}
{{ config(materialized='view') }}
with

events as (

    select * from {{ ref('int_events_deduplicated') }}

),

final as (

    select
        event_id,
        user_id,
        account_id,
        event_type,
        is_known_event_type,
        occurred_at,
        cast(occurred_at as date) as occurred_on,
        loaded_at,
        properties,
        feature,
        duration_seconds,
        nps_score,
        {%- for property in engagement_declared_properties() %}
        {{ property.column }},
        {%- endfor %}
        ticket_id
    from events
    where reject_reason is null

)

select * from final
