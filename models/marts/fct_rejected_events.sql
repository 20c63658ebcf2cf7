{#- Raw rows that cannot be scored, exactly as they arrived, each with the first reason found. -#}
with

events as (

    select * from {{ ref('int_events_deduplicated') }}

),

final as (

    select
        {%- for column in engagement_event_columns('raw') %}
        raw_{{ column }} as {{ column }},
        {%- endfor %}
        reject_reason,
        -- the primary key: the raw row's key in int_events_deduplicated
        event_row_key
    from events
    where reject_reason is not null

)

select * from final
