{#
    The periods a score model scores, as CTEs (as_of, entity_bounds, entity_labels, entity_attributes,
    period_offsets, period_last_events, calendar_periods, periods) for the generated measures macros:
    per entity, every calendar period (week, month or quarter) from the period of its first clean
    event through the as-of date's period, quiet ones included, plus one trailing window of window_days ending on the as-of date. Each period carries
    last_event_on, the entity's latest event (of any type) on or before the period's end.

    An entity enters a model with its first event in the model's scope (scope.event_types, or any
    event); from then on every event of the entity counts, and its periods start at its first event.
    `events` is the name of a CTE with entity_id, group_id, event_id, occurred_at, occurred_on,
    account_id and is_in_scope.
#}
{% macro engagement_entity_periods(events, period, window_days) -%}
{%- if period not in ['week', 'month', 'quarter'] -%}
    {{ exceptions.raise_compiler_error("engagement_entity_periods: unknown period '" ~ period ~ "'") }}
{%- endif -%}
{%- set unit, size = ('day', 7) if period == 'week' else ('month', 3 if period == 'quarter' else 1) -%}
{%- set as_of_literal = engagement_date_var('as_of_date') -%}
{%- set period_end = "cast(" ~ engagement_dateadd('day', -1, engagement_dateadd(unit, size, 'calendar_periods.period_start')) ~ " as date)" -%}
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

),

entity_bounds as (

    select
        {{ events }}.entity_id,
        min({{ events }}.occurred_on) as first_event_on,
        max({{ events }}.occurred_on) as last_event_on
    from {{ events }}
    cross join as_of
    where {{ events }}.occurred_on <= as_of.as_of_date
    group by {{ events }}.entity_id
    having max(case when {{ events }}.is_in_scope then 1 else 0 end) = 1

),

entity_labels as (

    -- the entity's latest account and group (a property such as department) up to the as-of date
    select
        {{ events }}.entity_id,
        {{ events }}.account_id,
        {{ events }}.group_id,
        row_number() over (
            partition by {{ events }}.entity_id
            order by case when {{ events }}.account_id is null then 1 else 0 end, {{ events }}.occurred_at desc, {{ events }}.event_id desc
        ) as account_rank,
        row_number() over (
            partition by {{ events }}.entity_id
            order by case when {{ events }}.group_id is null then 1 else 0 end, {{ events }}.occurred_at desc, {{ events }}.event_id desc
        ) as group_rank
    from {{ events }}
    cross join as_of
    where {{ events }}.occurred_on <= as_of.as_of_date

),

entity_attributes as (

    select
        entity_bounds.entity_id,
        entity_bounds.first_event_on,
        entity_bounds.last_event_on,
        max(case when entity_labels.account_rank = 1 then entity_labels.account_id end) as account_id,
        max(case when entity_labels.group_rank = 1 then entity_labels.group_id end) as group_id
    from entity_bounds
    inner join entity_labels
        on entity_bounds.entity_id = entity_labels.entity_id
    group by entity_bounds.entity_id, entity_bounds.first_event_on, entity_bounds.last_event_on

),

period_offsets as (

    {{ engagement_integers(4) }}

),

period_last_events as (

    select
        {{ events }}.entity_id,
        cast({{ dbt.date_trunc(period, events ~ '.occurred_on') }} as date) as period_start,
        max({{ events }}.occurred_on) as last_event_on
    from {{ events }}
    cross join as_of
    where {{ events }}.occurred_on <= as_of.as_of_date
    group by {{ events }}.entity_id, cast({{ dbt.date_trunc(period, events ~ '.occurred_on') }} as date)

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
        max(period_last_events.last_event_on) over (
            partition by calendar_periods.entity_id
            order by calendar_periods.period_start
            rows between unbounded preceding and current row
        ) as last_event_on
    from calendar_periods
    left join period_last_events
        on
            calendar_periods.entity_id = period_last_events.entity_id
            and calendar_periods.period_start = period_last_events.period_start

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
