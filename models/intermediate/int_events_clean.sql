{#-
    The clean events, one per event_id, in UTC: the rows of int_events_deduplicated that passed
    validation, with the columns the score models read (ids, type, times, and the parsed
    property__<name> texts). The one source of events for fct_events and every score model.
    Its columns are those of engagement_event_columns('clean') in their order (occurred_on computed
    here), with the property texts before the last one.
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
        {%- for column in engagement_event_columns('clean')[:-1] %}
        {%- if column.name == 'occurred_on' %}
        cast(occurred_at as date) as occurred_on,
        {%- else %}
        {{ column.name }},
        {%- endif %}
        {%- endfor %}
        {%- for property in engagement_declared_properties() %}
        {{ property.column }},
        {%- endfor %}
        {{ engagement_event_columns('clean')[-1].name }}
    from events
    where reject_reason is null

)

select * from final
