{#- The clean events: every raw row that passed validation, one per event_id, in UTC. -#}
with

events as (

    select * from {{ ref('int_events_clean') }}

),

final as (

    select
        {%- for column in engagement_event_columns('clean')[:-1] %}
        {{ column.name }},
        {%- endfor %}
        {{ engagement_event_columns('clean')[-1].name }}
    from events

)

select * from final
