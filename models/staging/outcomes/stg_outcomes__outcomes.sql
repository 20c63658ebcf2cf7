{#-
    One row per raw outcome row, nothing dropped: the raw text kept, each field parsed and
    normalized, and the first reason (if any) the row cannot be used. The outcome name is
    normalized like an event type (trimmed, lowercased, runs of spaces, hyphens and dots to one
    underscore: `Churned`, ` churned ` -> churned); a date alone is midnight UTC.
-#}
{%- set registry = engagement_score_model_registry() -%}
{%- set entity_types = registry.values() | map(attribute='entity_type') | unique | list %}
with

source as (

    select * from {{ ref('base_outcomes__outcomes') }}

),

raw_text as (

    select
        entity_id as raw_entity_id,
        score_model as raw_score_model,
        entity_type as raw_entity_type,
        outcome as raw_outcome,
        occurred_at as raw_occurred_at
    from source

),

parsed as (

    select
        raw_text.*,
        nullif({{ engagement_trim('raw_text.raw_entity_id') }}, '') as entity_id,
        nullif(lower({{ engagement_trim('raw_text.raw_score_model') }}), '') as score_model,
        nullif(lower({{ engagement_trim('raw_text.raw_entity_type') }}), '') as entity_type,
        nullif({{ engagement_normalize_event_type('raw_text.raw_outcome') }}, '') as outcome,
        {{ engagement_parse_timestamp_utc(
            "case when " ~ engagement_regexp_matches(engagement_trim('raw_text.raw_occurred_at'), '[0-9]{4}-[0-9]{2}-[0-9]{2}')
            ~ " then " ~ engagement_trim('raw_text.raw_occurred_at') ~ " || 'T00:00:00Z' else raw_text.raw_occurred_at end"
        ) }} as occurred_at
    from raw_text

),

validated as (

    select
        parsed.*,
        case
            when parsed.entity_id is null then 'missing_entity_id'
            when parsed.score_model is null and parsed.entity_type is null then 'missing_score_model'
            when
                parsed.score_model is not null
                and parsed.score_model not in (
                    {%- for name in registry %}
                    {{ engagement_string_literal(name) }}{{ "," if not loop.last }}
                    {%- endfor %}
                )
                then 'unknown_score_model'
            when
                parsed.score_model is null
                and parsed.entity_type not in (
                    {%- for entity_type in entity_types %}
                    {{ engagement_string_literal(entity_type) }}{{ "," if not loop.last }}
                    {%- endfor %}
                )
                then 'unknown_entity_type'
            when parsed.outcome is null then 'missing_outcome'
            when parsed.occurred_at is null then 'invalid_timestamp'
        end as reject_reason
    from parsed

),

final as (

    select
        raw_entity_id,
        raw_score_model,
        raw_entity_type,
        raw_outcome,
        raw_occurred_at,
        entity_id,
        score_model,
        entity_type,
        outcome,
        occurred_at,
        cast(occurred_at as date) as occurred_on,
        reject_reason
    from validated

)

-- the primary key: the raw outcome row: an md5 of its columns and its number among identical rows (a raw
-- input may repeat a row exactly); computed only when read (the keys' tests read it)
select
    final.*,
    {{ engagement_raw_row_key([
        'final.raw_entity_id',
        'final.raw_score_model',
        'final.raw_entity_type',
        'final.raw_outcome',
        'final.raw_occurred_at'
    ]) }} as outcome_row_key
from final
