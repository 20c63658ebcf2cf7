{#-
    The measures of every entity and month, as of the month's effective_end.
    One pass over the events in scope aggregates the in-month measures; the "as of" measures
    (days inactive, latest NPS, open tickets) are carried forward over the months with window
    functions instead of re-reading earlier events for each month.
-#}
with

events as (

    select * from {{ ref('fct_events') }}

),

periods as (

    select * from {{ ref('int_entity_periods_spined') }}

),

key_features as (

    select distinct lower(trim(feature)) as feature
    from {{ ref('key_features') }}
    where score_model = {{ engagement_string_literal(var('score_model', 'saas_customer')) }}

),

as_of as (

    select max(as_of_date) as as_of_date from periods

),

events_in_scope as (

    select
        events.user_id as entity_id,
        events.event_id,
        events.event_type,
        events.occurred_at,
        events.occurred_on,
        cast({{ dbt.date_trunc('month', 'events.occurred_on') }} as date) as period_start,
        events.duration_seconds,
        events.nps_score,
        events.ticket_id,
        key_features.feature as key_feature
    from events
    cross join as_of
    left join key_features
        on
            events.event_type = 'feature_used'
            and events.feature = key_features.feature
    where events.occurred_on <= as_of.as_of_date

),

monthly_activity as (

    select
        entity_id,
        period_start,
        count(distinct case when event_type = 'login' then occurred_on end) as login_days,
        count(distinct key_feature) as features_adopted,
        -- one division at the end, so that sessions averaging exactly 30 minutes give exactly 30
        sum(case when event_type = 'session_end' then duration_seconds end)
        / nullif(60.0 * count(case when event_type = 'session_end' then event_id end), 0) as avg_session_minutes,
        max(occurred_on) as last_event_on
    from events_in_scope
    group by entity_id, period_start

),

nps_responses_ranked as (

    select
        entity_id,
        period_start,
        nps_score,
        row_number() over (
            partition by entity_id, period_start
            order by occurred_at desc, event_id desc
        ) as recency_rank
    from events_in_scope
    where event_type = 'nps_response'

),

tickets as (

    select
        entity_id,
        ticket_id,
        min(case when event_type = 'ticket_opened' then occurred_on end) as opened_on,
        min(case when event_type = 'ticket_resolved' then occurred_on end) as resolved_on
    from events_in_scope
    where event_type in ('ticket_opened', 'ticket_resolved')
    group by entity_id, ticket_id

),

-- A ticket is open at a month's end from the month it was opened until the month of its first
-- resolution: +1 there, -1 here, and a running sum over the months counts the open ones.
ticket_changes as (

    select
        entity_id,
        cast({{ dbt.date_trunc('month', 'opened_on') }} as date) as period_start,
        1 as open_change
    from tickets
    where opened_on is not null and (resolved_on is null or resolved_on > opened_on)

    union all

    select
        entity_id,
        cast({{ dbt.date_trunc('month', 'resolved_on') }} as date) as period_start,
        -1 as open_change
    from tickets
    where opened_on is not null and resolved_on > opened_on

),

monthly_ticket_changes as (

    select
        entity_id,
        period_start,
        sum(open_change) as open_change
    from ticket_changes
    group by entity_id, period_start

),

joined as (

    select
        periods.entity_id,
        periods.period_start,
        periods.effective_end,
        coalesce(monthly_activity.login_days, 0) as login_days,
        coalesce(monthly_activity.features_adopted, 0) as features_adopted,
        coalesce(monthly_activity.avg_session_minutes, 0) as avg_session_minutes,
        max(monthly_activity.last_event_on) over (
            partition by periods.entity_id
            order by periods.period_start
            rows between unbounded preceding and current row
        ) as last_event_on,
        nps_responses_ranked.nps_score as month_latest_nps,
        count(nps_responses_ranked.nps_score) over (
            partition by periods.entity_id
            order by periods.period_start
            rows between unbounded preceding and current row
        ) as nps_answers_so_far,
        sum(coalesce(monthly_ticket_changes.open_change, 0)) over (
            partition by periods.entity_id
            order by periods.period_start
            rows between unbounded preceding and current row
        ) as open_tickets
    from periods
    left join monthly_activity
        on
            periods.entity_id = monthly_activity.entity_id
            and periods.period_start = monthly_activity.period_start
    left join nps_responses_ranked
        on
            periods.entity_id = nps_responses_ranked.entity_id
            and periods.period_start = nps_responses_ranked.period_start
            and nps_responses_ranked.recency_rank = 1
    left join monthly_ticket_changes
        on
            periods.entity_id = monthly_ticket_changes.entity_id
            and periods.period_start = monthly_ticket_changes.period_start

),

final as (

    select
        entity_id,
        period_start,
        cast(login_days as {{ dbt.type_bigint() }}) as login_days,
        cast(features_adopted as {{ dbt.type_bigint() }}) as features_adopted,
        cast(avg_session_minutes as {{ engagement_type_double() }}) as avg_session_minutes,
        -- sqlfluff measures this line as rendered, with the macro expanded
        -- noqa: disable=LT05
        cast({{ dbt.datediff('last_event_on', 'effective_end', 'day') }} as {{ dbt.type_bigint() }}) as days_inactive,
        -- noqa: enable=LT05
        -- the latest answer so far is the one of the last month that had one
        cast(max(month_latest_nps) over (
            partition by entity_id, nps_answers_so_far
        ) as {{ dbt.type_int() }}) as latest_nps,
        cast(open_tickets as {{ dbt.type_bigint() }}) as open_tickets
    from joined

)

select * from final
