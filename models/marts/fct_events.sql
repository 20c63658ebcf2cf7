{#-
    The clean events: every raw row that passed validation, one per event_id, in UTC.

    Incremental (README "Incremental runs"): a run writes again only the event_ids whose clean row
    may have changed, those whose kept copy was loaded at or after this table's watermark (its latest
    loaded_at, capped at this run's start, minus var engagement__lookback_hours: the macro
    engagement_reread_from, shared with the events layer) or has no loaded_at,
    replacing their previous row by event_id (delete+insert). That covers every change the events
    layer can make in an incremental run: it decides again only the event_ids of rows loaded at or
    after its own watermark, which is never earlier than this one (this table holds a subset of its
    rows), and a re-decided event_id keeps a clean row (a new valid copy wins only by a later
    loaded_at; an invalid one never displaces a valid one). A --full-refresh of the events layer is
    one of this table too (`engagement.py run` passes it to the whole build).
    Spark's Parquet tables cannot delete rows, so on Spark it is a table, rebuilt every run, as the
    events layer is.
-#}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='fail',
) }}
{#- the texts cast to the contract's type (varchar; string on Spark): PostgreSQL's incremental run
    compares the new rows' column types (text, uncast) with the table's and refuses a difference -#}
{%- set text_type = 'string' if target.type == 'spark' else 'varchar' -%}
{%- set selected = [] -%}
{%- for column in engagement_event_columns('clean') -%}
    {%- do selected.append(
        'cast(' ~ column.name ~ ' as ' ~ text_type ~ ') as ' ~ column.name
        if column.type == 'string' else column.name
    ) -%}
{%- endfor %}
with

{% if is_incremental() -%}
watermark as (

    {{ engagement_reread_from() }}

),

{% endif -%}
events as (

    select clean_events.*
    from {{ ref('int_events_clean') }} as clean_events
    {%- if is_incremental() %}
    cross join watermark
    where
        clean_events.loaded_at is null
        or watermark.reread_from is null
        or clean_events.loaded_at >= watermark.reread_from
    {%- endif %}

),

final as (

    select
        {%- for column in selected[:-1] %}
        {{ column }},
        {%- endfor %}
        {{ selected[-1] }}
    from events

)

select * from final
