{#-
    Every raw row once, with its final reject reason. Among rows otherwise valid, all but one copy
    of an event_id are duplicates: the copy kept has the latest loaded_at, ties broken by the row's
    content, so the outcome never depends on the order the rows arrived in.
    The raw rows are staged here with stg_product__events's macro, in two streams: the rows whose
    event_id no other raw row names (nearly all) go from the parse straight to the table, nothing held
    or sorted; the rows of the event_ids more than one raw row names (a few percent) and the rows
    without an event_id are parsed apart and ranked, so the sort touches them alone.

    Narrow: a row carries only what its outcome needs, the clean columns (clean rows) or the raw
    text (rejected rows), the other side null; loaded_at is kept for every row, event_row_key for the
    rejected ones (a clean row's key is `id:`, its event_id and `#c1`: not written twice).

    Incremental (README "Incremental runs"): a run parses only the new raw rows, those loaded at
    or after the watermark (the latest loaded_at already here, capped at this run's start) minus
    var engagement__lookback_hours, plus every row without a valid loaded_at, plus every earlier
    copy of their event_ids, so that each event_id's copies are decided together exactly as a full
    build decides them. Their previous outcomes are deleted and replaced (the strategy
    engagement_raw_rows: by event_id for clean rows, by event_row_key for rejected ones). event_row_key
    is a row_key (a set of raw rows that is either wholly in a run or
    wholly out of it: all copies of an event_id; rows without an event_id by their raw loaded_at
    text) and the row's number in it; a run that reads a row_key again reads all its rows, old and
    new, and numbers them 1..n again, so its keys cover every key the row_key had before: each old
    outcome is replaced, none is left beside the new ones.
    A run under other parse rules (the aliases, the vars staging reads, the declared properties:
    engagement_parse_rules_version, stored on every row) decides every raw row again instead, after its
    pre-hook has emptied the table, in the same transaction; so does the first run on a table of a
    release without the column (on_schema_change: append_new_columns adds it; a column no longer
    written, such as a property no model declares any more, stays, null from then on: PostgreSQL
    would refuse to drop it under the int_events_clean view).
    Spark's Parquet tables cannot delete rows (its incremental strategies are append and
    insert_overwrite of whole partitions; merge needs Delta, Iceberg or Hudi), so on Spark the
    model is a table, rebuilt in full every run.
-#}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='engagement_raw_rows',
    on_schema_change='append_new_columns',
    pre_hook="{{ engagement_redecide_all_rows() }}",
) }}
{#- the raw columns joined with '|', nulls as '<null>': the fingerprint that breaks ties between copies -#}
{%- set fingerprint = [] -%}
{%- for column in engagement_event_columns('raw') -%}
{%- do fingerprint.extend([] if loop.first else ["'|'"]) -%}
{%- do fingerprint.append("coalesce(shared_events.raw_" ~ column ~ ", '<null>')") -%}
{%- endfor -%}
{%- set trimmed_event_id = "nullif(" ~ engagement_trim('event_id') ~ ", '')" -%}
{%- set trimmed_raw_event_id = "nullif(" ~ engagement_trim('raw_rows.event_id') ~ ", '')" -%}
{#- the raw rows this run decides: every raw row (a full build, or a run under other parse rules:
    engagement_redecide_all), or the incremental batch -#}
{%- set new_rows_only = is_incremental() and not engagement_redecide_all() -%}
{%- set raw_rows = 'batch' if new_rows_only else ref('base_product__events') -%}
-- depends_on: {{ ref('base_product__events') }}, {{ ref('event_type_aliases') }}
with

{% if new_rows_only -%}

watermark as (

    {{ engagement_reread_from() }}

),

new_event_ids as (

    -- the event_ids of the rows loaded at or after the watermark, or without a valid loaded_at:
    -- read from the two columns alone, so that the search over every raw row holds nothing wide
    -- (a wide CTE read twice is held whole by DuckDB: at 100M it filled the memory cap)
    select new_rows.trimmed_event_id
    from (
        select
            {{ trimmed_raw_event_id }} as trimmed_event_id,
            {{ engagement_parse_timestamp_utc('raw_rows.loaded_at') }} as parsed_loaded_at
        from {{ ref('base_product__events') }} as raw_rows
    ) as new_rows
    cross join watermark
    where
        new_rows.trimmed_event_id is not null
        and (
            new_rows.parsed_loaded_at is null
            or watermark.reread_from is null
            or new_rows.parsed_loaded_at >= watermark.reread_from
        )
    -- a grouping that keeps every group: DuckDB then estimates fewer rows than the raw rows, and
    -- the join below builds its hash table on these ids, not on the raw rows
    group by new_rows.trimmed_event_id
    having count(*) > 0

),

batch as (

    -- the new rows, and every copy (old or new) of their event_ids. A row with an event_id is new
    -- only if that id is among the new ones, so only the rows without one (a few) are parsed again
    select
        {%- for column in engagement_event_columns('raw')[:-1] %}
        raw_rows.{{ column }},
        {%- endfor %}
        raw_rows.{{ engagement_event_columns('raw')[-1] }}
    from (
        select
            {%- for column in engagement_event_columns('raw') %}
            raw_rows.{{ column }},
            {%- endfor %}
            {{ trimmed_raw_event_id }} as trimmed_event_id
        from {{ ref('base_product__events') }} as raw_rows
    ) as raw_rows
    cross join watermark
    left join new_event_ids
        on raw_rows.trimmed_event_id = new_event_ids.trimmed_event_id
    where
        case
            when raw_rows.trimmed_event_id is not null then new_event_ids.trimmed_event_id is not null
            -- new when loaded at or after the watermark; no valid loaded_at, or no watermark: null, new
            else coalesce({{ engagement_parse_timestamp_utc('raw_rows.loaded_at') }} >= watermark.reread_from, true)
        end

),

{%- endif %}

repeated_event_ids as (

    -- the event_ids more than one raw row names, valid or not (a few percent): only their rows can
    -- be copies to rank
    select {{ trimmed_event_id }} as event_id
    from {{ raw_rows }}
    group by {{ trimmed_event_id }}
    having count(*) > 1

),

shared_rows as (

    -- the rest: the copies of repeated event_ids and the rows without one, ranked below
    select raw_rows.*
    from {{ raw_rows }} as raw_rows
    left join repeated_event_ids
        on {{ trimmed_raw_event_id }} = repeated_event_ids.event_id
    where
        {{ trimmed_raw_event_id }} is null
        or repeated_event_ids.event_id is not null

),

lone_events as (

    -- the rows whose event_id no other raw row names (nearly all): each is alone in its row_key,
    -- with nothing to rank, so it is staged and written in one pass, never held or sorted. Every
    -- raw row is staged here and the shared ones are left out after: a filter before the parse
    -- would change the row counts the join order is planned by, for the worse
    select staged_rows.*
    from ({{ engagement_stage_events(raw_rows) }}) as staged_rows
    left join repeated_event_ids
        on staged_rows.event_id = repeated_event_ids.event_id
    -- one condition on both sides, so that no part of it is pushed below the parse
    where case when staged_rows.event_id is null then false else repeated_event_ids.event_id is null end

),

shared_events as (

    select * from ({{ engagement_stage_events('shared_rows') }}) as staged_shared_rows

),

single_copies as (

    -- the lone rows, valid or rejected: the first (and only) of their row_key
    select
        lone_events.*,
        cast(null as {{ dbt.type_int() }}) as copy_rank,
        cast(null as {{ dbt.type_int() }}) as rejected_rank
    from lone_events

),

rejected_rows as (

    -- shared rows staging rejected (a few): numbered within their row_key (the event_id, or the
    -- raw loaded_at text of rows without one) for event_row_key; identical rows take any order
    select
        shared_events.*,
        cast(null as {{ dbt.type_int() }}) as copy_rank,
        row_number() over (
            partition by
                shared_events.event_id,
                case when shared_events.event_id is null then coalesce(shared_events.raw_loaded_at, '') end
            order by
                {%- for column in engagement_event_columns('raw')[:-1] %}
                shared_events.raw_{{ column }} asc nulls first,
                {%- endfor %}
                shared_events.raw_{{ engagement_event_columns('raw')[-1] }} asc nulls first
        ) as rejected_rank
    from shared_events
    where shared_events.reject_reason is not null

),

ranked_copies as (

    -- shared rows otherwise valid: the copies of one event_id, ranked
    select
        shared_events.*,
        row_number() over (
            partition by shared_events.event_id
            -- the fingerprint hashes the columns joined with '|' and nulls as '<null>', so two
            -- different rows can share it ('a|b', 'c' and 'a', 'b|c'); the raw columns settle
            -- what is left, so that no tie falls to row order
            order by
                shared_events.loaded_at desc nulls last,
                {{ dbt.hash(dbt.concat(fingerprint)) }} asc,
                {%- for column in engagement_event_columns('raw')[:-1] %}
                shared_events.raw_{{ column }} asc nulls first,
                {%- endfor %}
                shared_events.raw_{{ engagement_event_columns('raw')[-1] }} asc nulls first
        ) as copy_rank,
        cast(null as {{ dbt.type_int() }}) as rejected_rank
    from shared_events
    where shared_events.reject_reason is null

),

decided as (

    select * from single_copies

    union all

    select * from rejected_rows

    union all

    select * from ranked_copies

),

outcomes as (

    select
        decided.*,
        coalesce(decided.reject_reason, case when decided.copy_rank > 1 then 'duplicate_event_id' end)
            as final_reject_reason
    from decided

),

parse_rules as (

    {{ engagement_parse_rules_version() }}

),

keyed as (

    select
        *,
        -- the set of raw rows an incremental run replaces together (see above)
        coalesce(
            {{ dbt.concat(["'id:'", "event_id"]) }},
            {{ dbt.concat(["'noid:'", "coalesce(raw_loaded_at, '')"]) }}
        ) as row_key,
        -- a valid row (c) or one staging rejected (r), for event_row_key
        case when reject_reason is null then 'c' else 'r' end as row_kind
    from outcomes

),

outcome_rows as (

    select
        final_reject_reason as reject_reason,
        -- rejected rows: the raw text, as it arrived
        {%- for column in engagement_event_columns('raw') %}
        case when final_reject_reason is not null then raw_{{ column }} end as raw_{{ column }},
        {%- endfor %}
        -- clean rows: the columns the models read
        {%- for column in engagement_event_columns('clean') if column.name not in ('occurred_on', 'loaded_at') %}
        case when final_reject_reason is null then {{ column.name }} end as {{ column.name }},
        {%- endfor %}
        {%- for property in engagement_declared_properties() %}
        case when final_reject_reason is null then {{ property.column }} end as {{ property.column }},
        {%- endfor %}
        -- every row: the watermark of incremental runs
        loaded_at,
        -- a rejected row: its key, row_key and the row's place in it (a copy: its copy rank; a row
        -- staging rejected: its number among those), no hashing; an incremental run numbers a
        -- row_key's rows again with all of them, as a full build does. Null on a clean row, whose key
        -- is its event_id's with `#c1` (the kept copy is the first): a 10M-row build wrote every
        -- event_id twice, 2.3 s of its write
        case when final_reject_reason is not null then {{ dbt.concat([
            "row_key", "'#'",
            "row_kind",
            "cast(coalesce(copy_rank, rejected_rank, 1) as " ~ dbt.type_string() ~ ")"
        ]) }} end as event_row_key
    from keyed

),

final as (

    -- every row: the parse rules it was decided under (a run under others decides all again)
    select
        outcome_rows.*,
        parse_rules.parse_rules_version
    from outcome_rows
    cross join parse_rules

)

select * from final
