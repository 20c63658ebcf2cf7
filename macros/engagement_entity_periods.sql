{#
    The as-of date of a score model's build, as one CTE (as_of: as_of_date, and window_start, the
    first day of the trailing window of window_days ending on it): var as_of_date, or the latest
    clean event's day.
#}
{% macro engagement_as_of(window_days) -%}
{%- set as_of_literal = engagement_date_var('as_of_date') -%}
as_of as (

    select
        as_of_dates.as_of_date,
        cast({{ engagement_dateadd('day', 1 - (window_days | int), 'as_of_dates.as_of_date') }} as date) as window_start
    from (
        {% if as_of_literal is not none -%}
        select {{ as_of_literal }} as as_of_date
        {%- else -%}
        select max(occurred_on) as as_of_date from {{ ref('int_events_clean') }}
        {%- endif %}
    ) as as_of_dates

)
{%- endmacro %}

{#
    The periods a score model scores, as CTEs (entity_bounds, entity_accounts and entity_groups by
    engagement_latest_attribute, entity_attributes, period_offsets, period_last_events,
    calendar_periods, periods) for the generated measures macros, after engagement_as_of's as_of: per
    entity, every calendar period (week, month or quarter) from the period of its first clean event
    through the as-of date's period, quiet ones included, plus one trailing window ending on the as-of
    date. Each period carries last_event_on, the entity's latest event (of any type) on or before the
    period's end.

    An entity enters a model with its first event in the model's scope (scope.event_types, or any
    event); from then on every event of the entity counts, and its periods start at its first event.
    `events` is the name of a CTE with entity_id, group_id, event_id, occurred_at, occurred_on,
    account_id and is_in_scope; `days` the name of a CTE of its rows up to the as-of date, one per
    entity and day, with entity_id, occurred_on and is_in_scope (1 when an event of the day is in the
    model's scope, else 0): the bounds and each period's last event are read from the days (4.4M
    rows for the bench's 9.7M clean events), which the measures group anyway.

    The periods rescored (engagement_rescore.sql): the CTEs rescore (rescore_from, null on a full
    build) and rescore_state (each entity's state at the period before rescore_from: none on a full
    build) come before. An entity with a state gets its periods from rescore_from on, its last event
    carried from the state; the others all their periods. With rescore (an incremental run: `days`
    holds only the days read), engagement_rescore_events has defined entity_bounds from every event, not from
    `days`, and it is not defined here.
#}
{% macro engagement_entity_periods(events, days, period, rescore=none) -%}
{%- if period not in ['week', 'month', 'quarter'] -%}
    {{ exceptions.raise_compiler_error("engagement_entity_periods: unknown period '" ~ period ~ "'") }}
{%- endif -%}
{%- set unit, size = ('day', 7) if period == 'week' else ('month', 3 if period == 'quarter' else 1) -%}
{%- set running_last_event -%}
max(period_last_events.last_event_on) over (
                    partition by calendar_periods.entity_id
                    order by calendar_periods.period_start
                    rows between unbounded preceding and current row
                )
{%- endset -%}
{%- set period_end = "cast(" ~ engagement_dateadd('day', -1, engagement_dateadd(unit, size, 'calendar_periods.period_start')) ~ " as date)" -%}
{%- if not rescore %}
entity_bounds as (

    select
        {{ days }}.entity_id,
        min({{ days }}.occurred_on) as first_event_on,
        max({{ days }}.occurred_on) as last_event_on
    from {{ days }}
    group by {{ days }}.entity_id
    having max({{ days }}.is_in_scope) = 1

),
{%- endif %}

{%- for label in ['account', 'group'] %}

{{ engagement_latest_attribute(events, label) }},
{%- endfor %}

entity_attributes as (

    -- the latest account and group (a property such as department) named by the entity's events up
    -- to the as-of date; ties on time go to the largest event_id
    select
        entity_bounds.entity_id,
        entity_bounds.first_event_on,
        entity_bounds.last_event_on,
        entity_accounts.account_id,
        entity_groups.group_id
    from entity_bounds
    left join entity_accounts
        on entity_bounds.entity_id = entity_accounts.entity_id
    left join entity_groups
        on entity_bounds.entity_id = entity_groups.entity_id

),

period_offsets as (

    {{ engagement_integers(4) }}

),

period_last_events as (

    select
        {{ days }}.entity_id,
        cast({{ dbt.date_trunc(period, days ~ '.occurred_on') }} as date) as period_start,
        max({{ days }}.occurred_on) as last_event_on
    from {{ days }}
    group by {{ days }}.entity_id, cast({{ dbt.date_trunc(period, days ~ '.occurred_on') }} as date)

),

calendar_periods as (

    select
        entity_attributes.entity_id,
        entity_attributes.account_id,
        entity_attributes.group_id,
        cast({{ engagement_dateadd(
            unit,
            (size | string) ~ ' * period_offsets.n',
            'cast(' ~ dbt.date_trunc(period, 'entity_attributes.first_event_on') ~ ' as date)'
        ) }} as date) as period_start,
        period_offsets.n = 0 as is_first_period,
        as_of.as_of_date
    from entity_attributes
    cross join as_of
    inner join period_offsets
        on period_offsets.n <= {{ engagement_periods_between(period, 'entity_attributes.first_event_on', 'as_of.as_of_date') }}

),

periods as (

    select
        calendar_periods.entity_id,
        calendar_periods.account_id,
        calendar_periods.group_id,
        'calendar' as period_kind,
        calendar_periods.period_start,
        {{ period_end }}
            as period_end,
        case
            when
                {{ period_end }}
                < calendar_periods.as_of_date
                then {{ period_end }}
            else calendar_periods.as_of_date
        end as effective_end,
        calendar_periods.as_of_date,
        calendar_periods.is_first_period,
        -- the latest event so far: of the periods rescored, or the state's before them
        case
            when
                rescore_state.last_event_on is null
                or {{ running_last_event }} >= rescore_state.last_event_on
                then {{ running_last_event }}
            else rescore_state.last_event_on
        end as last_event_on
    from calendar_periods
    cross join rescore
    left join period_last_events
        on
            calendar_periods.entity_id = period_last_events.entity_id
            and calendar_periods.period_start = period_last_events.period_start
    left join rescore_state
        on calendar_periods.entity_id = rescore_state.entity_id
    where rescore_state.entity_id is null or calendar_periods.period_start >= rescore.rescore_from

    union all

    -- the trailing window: the last window_days up to the as-of date, new when the entity's first
    -- event falls inside it
    select
        entity_attributes.entity_id,
        entity_attributes.account_id,
        entity_attributes.group_id,
        'trailing' as period_kind,
        as_of.window_start as period_start,
        as_of.as_of_date as period_end,
        as_of.as_of_date as effective_end,
        as_of.as_of_date,
        entity_attributes.first_event_on >= as_of.window_start as is_first_period,
        entity_attributes.last_event_on
    from entity_attributes
    cross join as_of

)
{%- endmacro %}

{#
    entity_<label>s (entity_id, <label>_id): per entity, the <label> named by its latest event that
    names one, up to the as-of date; ties on time go to the largest event_id. `events` as for
    engagement_entity_periods (its occurred_at, event_id and <label>_id), after as_of.
#}
{% macro engagement_latest_attribute(events, label) -%}
    {{ return(adapter.dispatch('engagement_latest_attribute', 'engagement_scoring')(events, label)) }}
{%- endmacro %}

{% macro default__engagement_latest_attribute(events, label) -%}
latest_{{ label }}_at as (

    -- the entity's latest event that names a {{ label }}, up to the as-of date: found by two hash
    -- aggregates (the latest time, then the largest event_id at that time), not by ranking every event
    select
        {{ events }}.entity_id,
        max({{ events }}.occurred_at) as occurred_at
    from {{ events }}
    cross join as_of
    where {{ events }}.occurred_on <= as_of.as_of_date and {{ events }}.{{ label }}_id is not null
    group by {{ events }}.entity_id

),

latest_{{ label }}_event as (

    select
        {{ events }}.entity_id,
        max({{ events }}.event_id) as event_id
    from {{ events }}
    inner join latest_{{ label }}_at
        on
            {{ events }}.entity_id = latest_{{ label }}_at.entity_id
            and {{ events }}.occurred_at = latest_{{ label }}_at.occurred_at
    where {{ events }}.{{ label }}_id is not null
    group by {{ events }}.entity_id

),

entity_{{ label }}s as (

    select
        latest_{{ label }}_event.entity_id,
        max({{ events }}.{{ label }}_id) as {{ label }}_id
    from latest_{{ label }}_event
    inner join {{ events }}
        on
            latest_{{ label }}_event.entity_id = {{ events }}.entity_id
            and latest_{{ label }}_event.event_id = {{ events }}.event_id
    group by latest_{{ label }}_event.entity_id

)
{%- endmacro %}

{% macro duckdb__engagement_latest_attribute(events, label) -%}
entity_{{ label }}s as (

    -- one hash aggregate: the {{ label }} of the largest (time, event_id), where the other engines
    -- take the latest time, then the largest event_id at it, then its {{ label }} (10M events: the
    -- measures 6.1 s -> 5.6 s)
    select
        {{ events }}.entity_id,
        arg_max(
            {{ events }}.{{ label }}_id,
            struct_pack(occurred_at := {{ events }}.occurred_at, event_id := {{ events }}.event_id)
        ) as {{ label }}_id
    from {{ events }}
    cross join as_of
    where {{ events }}.occurred_on <= as_of.as_of_date and {{ events }}.{{ label }}_id is not null
    group by {{ events }}.entity_id

)
{%- endmacro %}
