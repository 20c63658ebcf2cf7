{# The parse of raw event rows (every column text) into typed, normalized columns and the first row-level reject reason: the body of stg_product__events, and of the raw rows int_events_deduplicated decides (on a full build the lone rows and the copies in two streams; on an incremental run the new rows).
   Its comments are Jinja comments, not SQL ones: on Spark stg_product__events is a view, and the Hive
   metastore refuses a view whose text passes 32,700 characters (this one is near it). #}
{% macro engagement_stage_events(raw_events) -%}
{%- set earliest_event_date = engagement_date_var('earliest_event_date', '2000-01-01') -%}
{%- set max_days_after_loaded_at = engagement_int_var('max_days_after_loaded_at', 1) -%}
{#- the output has the columns of engagement_event_columns, in its order; these two are computed in `final` -#}
{%- set computed = {
    'occurred_on': 'cast(occurred_at as date)',
    'nps_score': 'cast(case when reject_reason is null then nps_score_number end as ' ~ dbt.type_int() ~ ')',
} -%}

with

source as (

    select * from {{ raw_events }}

),

aliases as (

    select
        {{ engagement_normalize_event_type('alias') }} as event_type_alias,
        {{ engagement_normalize_event_type('event_type') }} as event_type
    from {{ ref('event_type_aliases') }}

),

canonical_event_types as (

    select distinct event_type from aliases

),

event_type_texts as (

    {#- a feed spells its event types a few dozen ways: each distinct spelling is normalized and
        mapped through the aliases once, and joined back (null and blank are both missing).
        `having count(*) > 0` keeps every group; it is there for the planner (see property_texts) #}
    select
        raw_event_type,
        nullif({{ engagement_normalize_event_type('raw_event_type') }}, '') as event_type_normalized
    from (
        select coalesce(event_type, '') as raw_event_type
        from {{ raw_events }}
        group by coalesce(event_type, '')
        having count(*) > 0
    ) as distinct_event_types

),

event_types as (

    select
        event_type_texts.raw_event_type,
        coalesce(aliases.event_type, event_type_texts.event_type_normalized) as event_type,
        canonical_event_types.event_type is not null as is_known_event_type
    from event_type_texts
    left join aliases
        on event_type_texts.event_type_normalized = aliases.event_type_alias
    left join canonical_event_types
        on coalesce(aliases.event_type, event_type_texts.event_type_normalized) = canonical_event_types.event_type

),

property_texts as (

    {#- a feed repeats the same few properties texts ('{}', one per feature, ...): each distinct
        text is checked once and joined back (null and blank both mean '{}').
        `having count(*) > 0` keeps every group: it is there for the planner. DuckDB estimates a
        grouping to have as many rows as its input, so without a filter the distinct texts look as
        many as the raw rows, and it built the join's hash table on the raw rows (every column of
        every row: at 100M events it spilled, 182 s of the model's 677 s); a filter on the grouping
        lowers its estimate, and the hash table is built on the texts (tests/python/test_query_plans.py) #}
    select coalesce(properties, '') as raw_properties
    from {{ raw_events }}
    group by coalesce(properties, '')
    having count(*) > 0

),

checked_properties as (

    select
        raw_properties,
        {{ engagement_json_object('raw_properties') }} as properties
    from property_texts

),

property_values as (

    {#- the properties each canonical type needs, read out of each distinct text once; which of
        them a row uses depends on its event type (below) #}
    select
        raw_properties,
        properties,
        nullif(lower({{ engagement_trim(engagement_json_scalar('properties', 'feature')) }}), '') as feature,
        {{ engagement_safe_to_number(engagement_json_scalar('properties', 'duration_seconds')) }} as duration_seconds,
        {{ engagement_safe_to_number(engagement_json_scalar('properties', 'score')) }} as nps_score_number,
        {%- for property in engagement_declared_properties() %}
        {{ engagement_trim(engagement_json_scalar('properties', property.name)) }} as {{ property.column }},
        {%- endfor %}
        nullif({{ engagement_trim(engagement_json_scalar('properties', 'ticket_id')) }}, '') as ticket_id
    from checked_properties

),

raw_text as (

    select
        {%- for column in engagement_event_columns('raw')[:-1] %}
        {{ column }} as raw_{{ column }},
        {%- endfor %}
        {{ engagement_event_columns('raw')[-1] }} as raw_{{ engagement_event_columns('raw')[-1] }}
    from source

),

parsed as (

    select
        raw_text.*,
        nullif({{ engagement_trim('raw_text.raw_event_id') }}, '') as event_id,
        nullif({{ engagement_trim('raw_text.raw_user_id') }}, '') as user_id,
        nullif({{ engagement_trim('raw_text.raw_account_id') }}, '') as account_id,
        {{ engagement_parse_timestamp_utc('raw_text.raw_occurred_at') }} as occurred_at,
        {{ engagement_parse_timestamp_utc('raw_text.raw_loaded_at') }} as loaded_at,
        property_values.properties,
        property_values.feature as property_feature,
        property_values.duration_seconds as property_duration_seconds,
        property_values.nps_score_number as property_nps_score_number,
        property_values.ticket_id as property_ticket_id,
        {%- for property in engagement_declared_properties() %}
        property_values.{{ property.column }},
        {%- endfor %}
        event_types.event_type,
        event_types.is_known_event_type
    from raw_text
    left join property_values
        on coalesce(raw_text.raw_properties, '') = property_values.raw_properties
    left join event_types
        on coalesce(raw_text.raw_event_type, '') = event_types.raw_event_type

),

typed as (

    select
        parsed.*,
        case when parsed.event_type = 'feature_used' then parsed.property_feature end as feature,
        case when parsed.event_type = 'session_end' then parsed.property_duration_seconds end as duration_seconds,
        case when parsed.event_type = 'nps_response' then parsed.property_nps_score_number end as nps_score_number,
        case
            when parsed.event_type in ('ticket_opened', 'ticket_resolved') then parsed.property_ticket_id
        end as ticket_id
    from parsed

),

validated as (

    select
        typed.*,
        case
            when typed.event_id is null then 'missing_event_id'
            when typed.user_id is null then 'missing_user_id'
            when typed.event_type is null then 'missing_event_type'
            when typed.occurred_at is null then 'invalid_timestamp'
            when
                typed.occurred_at < cast({{ earliest_event_date }} as timestamp)
                or typed.occurred_at > {{ engagement_dateadd('day', max_days_after_loaded_at, 'typed.loaded_at') }}
                then 'out_of_range_timestamp'
            when
                typed.properties is null
                or (typed.event_type = 'feature_used' and typed.feature is null)
                or (typed.event_type = 'session_end' and not coalesce(typed.duration_seconds >= 0, false))
                or (
                    typed.event_type = 'nps_response'
                    and not coalesce(
                        typed.nps_score_number between 0 and 10
                        and typed.nps_score_number = floor(typed.nps_score_number),
                        false
                    )
                )
                or (typed.event_type in ('ticket_opened', 'ticket_resolved') and typed.ticket_id is null)
                then 'invalid_properties'
        end as reject_reason
    from typed

),

final as (

    select
        {%- for column in engagement_event_columns('raw') %}
        raw_{{ column }},
        {%- endfor %}
        {%- for column in engagement_event_columns('clean') %}
        {%- if column.name in computed %}
        {{ computed[column.name] }} as {{ column.name }},
        {%- else %}
        {{ column.name }},
        {%- endif %}
        {%- endfor %}
        {%- for property in engagement_declared_properties() %}
        {{ property.column }},
        {%- endfor %}
        reject_reason
    from validated

)

select * from final
{%- endmacro %}
