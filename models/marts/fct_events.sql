{#-
    The clean events: every raw row that passed validation, one per event_id, in UTC.

    Incremental (README "Incremental runs"): a run writes again only the event_ids whose clean row
    may have changed, those whose kept copy was loaded at or after this table's watermark (its latest
    loaded_at, capped at this run's start, minus var engagement__lookback_hours: the macro
    engagement_reread_from, shared with the events layer) or has no loaded_at, and those with a
    rejected row loaded since then or without a loaded_at, replacing their previous row by event_id
    (delete+insert). That covers every change the events layer can make in an incremental run: it
    decides again only the event_ids with a row loaded at or after its own watermark (which is never
    earlier than this one: this table holds a subset of its rows) or without a loaded_at, and a
    re-decided event_id keeps a clean row (an invalid copy never displaces a valid one). The kept
    copy's own loaded_at is not enough: a copy stamped before the watermark (a late file) is read with
    a new copy of its event_id and may be kept. A --full-refresh of the events layer is
    one of this table too (`engagement.py run` passes it to the whole build). A run under other
    parse rules (parse_rules_version, as in the events layer) writes every clean event again, after
    its pre-hook has emptied the table in the same transaction; so does the first run on a table of
    a release without the column (on_schema_change: append_new_columns adds it).
    Spark's Parquet tables cannot delete rows, so on Spark it is a table, rebuilt every run, as the
    events layer is.
-#}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='append_new_columns',
    pre_hook="{{ engagement_redecide_all_rows() }}",
) }}
{%- set new_rows_only = is_incremental() and not engagement_redecide_all() %}
-- depends_on: {{ ref('int_events_deduplicated') }}
{#- the texts cast to the contract's type (varchar; string on Spark): PostgreSQL's incremental run
    compares the new rows' column types (text, uncast) with the table's and refuses a difference -#}
{%- set text_type = 'string' if target.type == 'spark' else 'varchar' -%}
{%- set selected = [] -%}
{%- for column in engagement_event_columns('clean') -%}
    {%- do selected.append(
        'cast(events.' ~ column.name ~ ' as ' ~ text_type ~ ') as ' ~ column.name
        if column.type == 'string' else 'events.' ~ column.name
    ) -%}
{%- endfor %}
with

{% if new_rows_only -%}
watermark as (

    {{ engagement_reread_from() }}

),

redecided_ids as (

    -- without a watermark every clean event is read below, whatever this holds
    {{ engagement_redecided_event_ids('watermark', 'watermark.reread_from') }}

),

{% endif -%}
parse_rules as (

    {{ engagement_parse_rules_version() }}

),

events as (

    select clean_events.*
    from {{ ref('int_events_clean') }} as clean_events
    {%- if new_rows_only %}
    cross join watermark
    where
        clean_events.loaded_at is null
        or watermark.reread_from is null
        or clean_events.loaded_at >= watermark.reread_from
        or clean_events.event_id in (select redecided_ids.event_id from redecided_ids)
    {%- endif %}

),

final as (

    select
        {%- for column in selected %}
        {{ column }},
        {%- endfor %}
        parse_rules.parse_rules_version
    from events
    cross join parse_rules

)

select * from final
