{#
    Rescoring only what changed: the generated measures models (int_<model>__measures) are
    incremental on DuckDB and PostgreSQL (README "Incremental runs"). A run rewrites, for every
    entity, its periods from the first period it can have changed (rescore_from) to the as-of date's
    period, and its trailing window; an entity's rows before it stay as they are, and its state at the
    period before (the last event, the latest values, the open items: the carried measures are their
    own state) is read from the table's row of that period.

    rescore_from is the calendar period of the earliest of: the previous run's as-of date (its open
    period, and every quiet entity's inactivity, move on), and the day of every clean event loaded
    since the previous run's watermark (minus var engagement__lookback_hours, as the events layer
    reads), and the day of every earlier copy of those event_ids (a copy that was kept before and is
    now displaced leaves the period it was counted in). So nothing before rescore_from changed: every
    entity's history there is what the table holds.

    Everything is rescored from the start (the same rows as a full build, written over the table's)
    when the table holds nothing to continue from, when the model's rules changed (its declaration or
    its allow-lists: rules_version), or when the as-of date moved back.
#}

{#
    The version of what a model's measures depend on besides the events: its declaration (the
    registry's declaration_hash), the parse rules its events were decided under
    (engagement_parse_rules_version: an alias edit changes every event's type) and its allow-list
    rows, one row, rules_version. Every measures row
    stores the version it was computed with; an incremental run under other rules rescores everything.
#}
{% macro engagement_measures_rules_version(score_model) -%}
{%- set model = engagement_score_model_registry()[score_model] -%}
{#- Spark rebuilds the measures in full every run (tables), so nothing reads the version there; its
    planner failed on the parse rules' join (a ClassCastException in UnionExec, in unit tests) -#}
{%- set with_parse_rules = target.type != 'spark' -%}
    select
        {{ dbt.hash(dbt.concat([
            engagement_string_literal('measures-v1|' ~ model.declaration_hash ~ '|')]
            + (["parse_rules.parse_rules_version", "'|'"] if with_parse_rules else [])
            + ["coalesce(" ~ engagement_sorted_text_agg('allowed.rule_text', '\n') ~ ", '')"
        ])) }} as rules_version
    from (
        {%- for allow_list in model.allow_lists %}
        select {{ engagement_rule_text(allow_list.seed, [allow_list.column]) }} as rule_text
        from {{ ref(allow_list.seed) }}
        where score_model = {{ engagement_string_literal(score_model) }}

        union all
        {%- endfor %}
        select cast(null as {{ dbt.type_string() }}) as rule_text
    ) as allowed
    {%- if with_parse_rules %}
    cross join ({{ engagement_parse_rules_version() }}) as parse_rules
    group by parse_rules.parse_rules_version
    {%- endif %}
{%- endmacro %}

{#
    On an incremental run of a measures model: a dict, rescore_from (the first calendar period the
    run rewrites) and read_from (the first day of events it reads for the entities it continues: the
    earlier of rescore_from, the period before it when the model counts member changes, and the
    trailing window's first day), as 'YYYY-MM-DD' texts from the database. None on a full build, on
    Spark (tables there), or when the run must rescore everything (see above).
#}
{% macro engagement_rescore_from(score_model, period, window_days, previous_period) -%}
{%- if not execute or target.type == 'spark' or this is none or model.resource_type == 'unit_test' or not is_incremental() -%}
    {#- a unit test is a full build (it may say otherwise by overriding is_incremental: not done here) -#}
    {{ return(none) }}
{%- endif -%}
{%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- if 'rules_version' not in stored or 'loaded_through' not in stored -%}
    {#- a table of a release before this one: rescored in full once, then continued -#}
    {{ return(none) }}
{%- endif -%}
{%- set lookback_hours = engagement_int_var('engagement__lookback_hours', 24) -%}
{%- set unit, size = ('day', 7) if period == 'week' else ('month', 3 if period == 'quarter' else 1) -%}
{%- set trimmed_raw_event_id = "nullif(" ~ engagement_trim('copies.raw_event_id') ~ ", '')" -%}
{#- the period before rescore_from when the model counts member changes, else rescore_from itself -#}
{%- set first_period_read = "cast(" ~ engagement_dateadd(unit, -size if previous_period else 0, 'bounds.rescore_from') ~ " as date)" -%}
{%- set query -%}
with

{{ engagement_as_of(window_days) }},

previous as (

    select
        max(as_of_date) as as_of_date,
        max(loaded_through) as loaded_through,
        min(rules_version) as first_rules_version,
        max(rules_version) as last_rules_version
    from {{ this }}

),

rules as (

    {{ engagement_measures_rules_version(score_model) }}

),

redecided_ids as (

    -- since the previous run's watermark minus the lookback
    {{ engagement_redecided_event_ids('previous', engagement_dateadd('hour', -lookback_hours, 'previous.loaded_through')) }}

),

changed_events as (

    -- the clean events loaded since the previous run's watermark (minus the lookback), or without a
    -- loaded_at, and the clean events of the event_ids above, whatever their loaded_at
    select
        clean_events.event_id,
        clean_events.occurred_on
    from {{ ref('int_events_clean') }} as clean_events
    cross join previous
    where
        clean_events.loaded_at is null
        or clean_events.loaded_at >= {{ engagement_dateadd('hour', -lookback_hours, 'previous.loaded_through') }}
        or clean_events.event_id in (select redecided_ids.event_id from redecided_ids)

),

changed_days as (

    select changed_events.occurred_on as changed_on
    from changed_events

    union all

    -- the earlier copies of those event_ids: one of them may have been the kept copy, counted on its day
    select cast({{ engagement_parse_timestamp_utc('copies.raw_occurred_at') }} as date) as changed_on
    from {{ ref('int_events_deduplicated') }} as copies
    inner join changed_events
        on {{ trimmed_raw_event_id }} = changed_events.event_id
    where copies.reject_reason = 'duplicate_event_id'

),

earliest as (

    select
        case
            when min(changed_days.changed_on) < previous.as_of_date then min(changed_days.changed_on)
            else previous.as_of_date
        end as changed_on
    from previous
    left join changed_days
        on true
    group by previous.as_of_date

),

bounds as (

    select cast({{ dbt.date_trunc(period, 'earliest.changed_on') }} as date) as rescore_from
    from earliest

)

select
    case
        when
            previous.as_of_date is not null
            and previous.loaded_through is not null
            and previous.first_rules_version = previous.last_rules_version
            and previous.first_rules_version = rules.rules_version
            and as_of.as_of_date >= previous.as_of_date
            then 1
        else 0
    end as can_continue,
    cast(bounds.rescore_from as {{ dbt.type_string() }}) as rescore_from,
    cast(
        case
            when as_of.window_start < {{ first_period_read }} then as_of.window_start
            else {{ first_period_read }}
        end as {{ dbt.type_string() }}
    ) as read_from
from previous
cross join rules
cross join as_of
cross join bounds
{%- endset -%}
{%- set row = run_query(query).rows[0] -%}
{%- if row[0] | int != 1 or row[1] is none -%}
    {{ return(none) }}
{%- endif -%}
{{ return({'rescore_from': (row[1] | string)[:10], 'read_from': (row[2] | string)[:10]}) }}
{%- endmacro %}

{#
    The incremental strategy of the measures models (`incremental_strategy='engagement_rescore_periods'`,
    DuckDB and PostgreSQL): the run's rows replace, per entity, the table's rows from the entity's
    first rescored calendar period on, and every trailing window; an entity rescored from its first
    period loses all its rows (its first period may be later than before); an entity the run no
    longer measures (its only events in scope gave way to other copies) leaves. Then the new rows go
    in. One transaction.
#}
{% macro get_incremental_engagement_rescore_periods_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where
        period_kind = 'trailing'
        or entity_id not in (
            select entity_id from {{ source }} where period_kind = 'trailing'
        )
        -- an entity rescored from its first period (new, continued from none, or under other
        -- rules): all its rows, also those before its first period now (its first event moved
        -- later: an earlier one displaced, or rejected under other parse rules)
        or entity_id in (
            select entity_id from {{ source }} where period_kind = 'calendar' and is_first_period
        )
        or exists (
            select 1
            from (
                select
                    entity_id,
                    min(period_start) as rescored_from
                from {{ source }}
                where period_kind = 'calendar'
                group by entity_id
            ) as rescored
            where
                rescored.entity_id = {{ target }}.entity_id
                and {{ target }}.period_start >= rescored.rescored_from
        );

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ source }}
{%- endmacro %}

{#
    The body of a measures model's rescore CTE: one row, rescore_from and read_from (see
    engagement_rescore_from), both null on a full build.
#}
{% macro engagement_rescore_bounds(rescore) -%}
    select
        {%- if rescore %}
        cast({{ engagement_string_literal(rescore.rescore_from) }} as date) as rescore_from,
        cast({{ engagement_string_literal(rescore.read_from) }} as date) as read_from
        {%- else %}
        cast(null as date) as rescore_from,
        cast(null as date) as read_from
        {%- endif %}
{%- endmacro %}

{#
    The body of a measures model's loaded CTE: one row, loaded_through, the latest loaded_at of the
    clean events not later than this run's start (a later one is taken for a typo, as the events
    layer's watermark does): the watermark the next incremental run reads changed events from.
#}
{% macro engagement_loaded_through() -%}
    select max(clean_events.loaded_at) as loaded_through
    from {{ ref('int_events_clean') }} as clean_events
    where clean_events.loaded_at <= cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
{%- endmacro %}

{#
    On an incremental run of a measures model, after its rescore and rescore_state CTEs: entity_bounds
    (every entity's first and last event up to the as-of date, from all its events: the periods spine
    takes them from here, not from the days read), full_history_entities (entities new to the table
    whose events start before the first day read) and events_read (the events from read_from on, and
    every event of those entities), as CTEs. `events` is the model's events CTE. events_read is held
    (engagement_held_cte): a daily run reads the open period's events, a fraction of them, and each
    measure's CTE reading them again would scan every event (10M events: 3.5 s -> 2.9 s).
#}
{% macro engagement_rescore_events() -%}
entity_bounds as (

    select
        events.entity_id,
        min(events.occurred_on) as first_event_on,
        max(events.occurred_on) as last_event_on
    from events
    cross join as_of
    where events.occurred_on <= as_of.as_of_date
    group by events.entity_id
    having max(case when events.is_in_scope then 1 else 0 end) = 1

),

full_history_entities as (

    select entity_bounds.entity_id
    from entity_bounds
    cross join rescore
    left join rescore_state
        on entity_bounds.entity_id = rescore_state.entity_id
    where rescore_state.entity_id is null and entity_bounds.first_event_on < rescore.read_from

),

events_read as {{ engagement_held_cte() }} (

    select events.*
    from events
    cross join rescore
    where events.occurred_on >= rescore.read_from

    union all

    select events.*
    from events
    inner join full_history_entities
        on events.entity_id = full_history_entities.entity_id
    cross join rescore
    where events.occurred_on < rescore.read_from

)
{%- endmacro %}
