{#-
    One row per entity (the score model's: user or account) and UTC calendar month, from the month of the entity's first clean
    event through the as_of_date month, active or not: quiet months are what the score is for.
    effective_end is where the month's window stops: the month's last day, or as_of_date.
-#}
{%- set as_of_literal = engagement_date_var('as_of_date') -%}
{%- set entity_column = engagement_score_model().entity_column -%}

with

events as (

    select * from {{ ref('fct_events') }}

),

as_of as (

    {% if as_of_literal is not none -%}
    select {{ as_of_literal }} as as_of_date
    {%- else -%}
    select max(occurred_on) as as_of_date from events
    {%- endif %}

),

entity_bounds as (

    select
        events.{{ entity_column }} as entity_id,
        min(events.occurred_on) as first_event_on
    from events
    cross join as_of
    where
        events.occurred_on <= as_of.as_of_date
        and events.{{ entity_column }} is not null
    group by events.{{ entity_column }}

),

latest_accounts as (

    select
        events.{{ entity_column }} as entity_id,
        events.account_id,
        row_number() over (
            partition by events.{{ entity_column }}
            order by events.occurred_at desc, events.event_id desc
        ) as recency_rank
    from events
    cross join as_of
    where
        events.occurred_on <= as_of.as_of_date
        and events.account_id is not null
        and events.{{ entity_column }} is not null

),

month_offsets as (

    {{ engagement_integers(4) }}

),

spined as (

    select
        entity_bounds.entity_id,
        cast({{ engagement_dateadd(
            'month',
            'month_offsets.n',
            dbt.date_trunc('month', 'entity_bounds.first_event_on')
        ) }} as date) as period_start,
        as_of.as_of_date
    from entity_bounds
    cross join as_of
    inner join month_offsets
        on month_offsets.n <= {{ engagement_months_between('entity_bounds.first_event_on', 'as_of.as_of_date') }}

),

final as (

    select
        spined.entity_id,
        latest_accounts.account_id,
        spined.period_start,
        cast({{ dbt.last_day('spined.period_start', 'month') }} as date) as period_end,
        case
            when cast({{ dbt.last_day('spined.period_start', 'month') }} as date) < spined.as_of_date
                then cast({{ dbt.last_day('spined.period_start', 'month') }} as date)
            else spined.as_of_date
        end as effective_end,
        spined.as_of_date
    from spined
    left join latest_accounts
        on
            spined.entity_id = latest_accounts.entity_id
            and latest_accounts.recency_rank = 1

)

select * from final
