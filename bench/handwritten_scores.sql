-- fct_engagement_scores in one hand-written DuckDB query, written for speed, as the benchmark's
-- yardstick for the dbt build. Same contract as the dbt models (README: "The input contract",
-- "Nothing is lost", the score model), same seeds, same rows; what it does differently:
--   * rejected rows are only filtered out, not kept (a row's reason does not change the scores);
--   * event types are normalized once per distinct raw spelling, then joined back;
--   * each timestamp is matched by one regular expression that returns all its parts at once;
--   * JSON properties are parsed only for the types that need a property;
--   * everything after the clean events runs on monthly aggregates, with window functions.
-- bench/contenders.py fills in $events (the Parquet file) and $seeds (the seeds folder).

create or replace table fct_engagement_scores as

with

raw_events as not materialized (
    select event_id, occurred_at, user_id, account_id, event_type, properties, loaded_at
    from read_parquet('$events')
),

aliases as (
    select
        regexp_replace(regexp_replace(lower(trim(alias)), '[[:space:].-]+', '_', 'g'), '^_+|_+$', '', 'g') as alias,
        regexp_replace(regexp_replace(lower(trim(event_type)), '[[:space:].-]+', '_', 'g'), '^_+|_+$', '', 'g')
            as event_type
    from read_csv('$seeds/event_type_aliases.csv', header = true, all_varchar = true)
),

raw_types as (
    select distinct event_type as raw_event_type from raw_events
),

-- every raw spelling, normalized and mapped once
type_map as (
    select
        raw_types.raw_event_type,
        coalesce(aliases.event_type, nullif(normalized.event_type, '')) as event_type
    from raw_types
    cross join lateral (
        select regexp_replace(
            regexp_replace(lower(trim(raw_types.raw_event_type)), '[[:space:].-]+', '_', 'g'), '^_+|_+$', '', 'g'
        ) as event_type
    ) as normalized
    left join aliases on normalized.event_type = aliases.alias
),

parsed as (
    select
        nullif(trim(raw_events.event_id), '') as event_id,
        nullif(trim(raw_events.user_id), '') as user_id,
        nullif(trim(raw_events.account_id), '') as account_id,
        type_map.event_type,
        regexp_extract(
            trim(raw_events.occurred_at),
            '^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)(?:[Zz]|([+-])([0-9]{2}):?([0-9]{2}))?$',
            ['day', 'time', 'seconds', 'fraction', 'sign', 'hours', 'minutes']
        ) as occurred_parts,
        regexp_extract(
            trim(raw_events.loaded_at),
            '^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)(?:[Zz]|([+-])([0-9]{2}):?([0-9]{2}))?$',
            ['day', 'time', 'seconds', 'fraction', 'sign', 'hours', 'minutes']
        ) as loaded_parts,
        case
            when raw_events.properties is null or trim(raw_events.properties) = '' then '{}'
            when json_valid(raw_events.properties) and json_type(raw_events.properties) = 'OBJECT'
                then trim(raw_events.properties)
        end as properties,
        raw_events.event_id as raw_event_id,
        raw_events.occurred_at as raw_occurred_at,
        raw_events.user_id as raw_user_id,
        raw_events.account_id as raw_account_id,
        raw_events.event_type as raw_event_type,
        raw_events.properties as raw_properties,
        raw_events.loaded_at as raw_loaded_at
    from raw_events
    left join type_map on raw_events.event_type = type_map.raw_event_type
),

timestamped as (
    select
        *,
        case
            when occurred_parts.day <> ''
                and coalesce(try_cast(nullif(occurred_parts.hours, '') as integer), 0) <= 18
                and coalesce(try_cast(nullif(occurred_parts.minutes, '') as integer), 0) <= 59
                then try_cast(occurred_parts.day || ' ' || occurred_parts.time as timestamp)
                - to_minutes(
                    case occurred_parts.sign when '+' then 1 when '-' then -1 else 0 end
                    * (coalesce(try_cast(nullif(occurred_parts.hours, '') as integer), 0) * 60
                        + coalesce(try_cast(nullif(occurred_parts.minutes, '') as integer), 0))
                )
        end as occurred_at,
        case
            when loaded_parts.day <> ''
                and coalesce(try_cast(nullif(loaded_parts.hours, '') as integer), 0) <= 18
                and coalesce(try_cast(nullif(loaded_parts.minutes, '') as integer), 0) <= 59
                then try_cast(loaded_parts.day || ' ' || loaded_parts.time as timestamp)
                - to_minutes(
                    case loaded_parts.sign when '+' then 1 when '-' then -1 else 0 end
                    * (coalesce(try_cast(nullif(loaded_parts.hours, '') as integer), 0) * 60
                        + coalesce(try_cast(nullif(loaded_parts.minutes, '') as integer), 0))
                )
        end as loaded_at
    from parsed
),

-- the one property each scored type needs, as text when it is a JSON string or number
typed as (
    select
        *,
        case
            when event_type in ('feature_used', 'session_end', 'nps_response', 'ticket_opened', 'ticket_resolved')
                and properties is not null
                then case
                    when json_type(properties, property_path) in ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')
                        then json_extract_string(properties, property_path)
                end
        end as property_text
    from (
        select
            *,
            case event_type
                when 'feature_used' then '$.feature'
                when 'session_end' then '$.duration_seconds'
                when 'nps_response' then '$.score'
                else '$.ticket_id'
            end as property_path
        from timestamped
    )
),

valued as (
    select
        *,
        case when event_type = 'feature_used' then nullif(lower(trim(property_text)), '') end as feature,
        case
            when event_type in ('session_end', 'nps_response')
                and regexp_full_match(trim(property_text), '[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?')
                and isfinite(try_cast(trim(property_text) as double))
                then try_cast(trim(property_text) as double)
        end as number_value,
        case when event_type in ('ticket_opened', 'ticket_resolved') then nullif(trim(property_text), '') end
            as ticket_id
    from typed
),

clean as (
    select
        event_id,
        user_id,
        account_id,
        event_type,
        occurred_at,
        loaded_at,
        feature,
        case when event_type = 'session_end' then number_value end as duration_seconds,
        case when event_type = 'nps_response' then cast(number_value as integer) end as nps_score,
        ticket_id,
        md5(
            coalesce(raw_event_id, '<null>') || '|' || coalesce(raw_occurred_at, '<null>') || '|'
            || coalesce(raw_user_id, '<null>') || '|' || coalesce(raw_account_id, '<null>') || '|'
            || coalesce(raw_event_type, '<null>') || '|' || coalesce(raw_properties, '<null>') || '|'
            || coalesce(raw_loaded_at, '<null>')
        ) as row_fingerprint
    from valued
    where
        event_id is not null
        and user_id is not null
        and event_type is not null
        and occurred_at is not null
        and occurred_at >= timestamp '2000-01-01'
        and not coalesce(occurred_at > loaded_at + interval 1 day, false)
        and properties is not null
        and (event_type <> 'feature_used' or feature is not null)
        and (event_type <> 'session_end' or coalesce(number_value >= 0, false))
        and (event_type <> 'nps_response' or coalesce(number_value between 0 and 10 and number_value = floor(number_value), false))
        and (event_type not in ('ticket_opened', 'ticket_resolved') or ticket_id is not null)
),

-- one copy per event_id: the latest loaded_at, ties broken by the row's content
events as (
    select
        user_id as entity_id,
        event_id,
        account_id,
        event_type,
        occurred_at,
        cast(occurred_at as date) as occurred_on,
        feature,
        duration_seconds,
        nps_score,
        ticket_id
    from clean
    qualify row_number() over (partition by event_id order by loaded_at desc nulls last, row_fingerprint) = 1
),

as_of as (
    select max(occurred_on) as as_of_date from events
),

key_features as (
    select distinct lower(trim(feature)) as feature
    from read_csv('$seeds/key_features.csv', header = true, all_varchar = true)
    where score_model = 'saas_customer'
),

monthly as (
    select
        events.entity_id,
        date_trunc('month', events.occurred_on) as period_start,
        count(distinct events.occurred_on) filter (where events.event_type = 'login') as login_days,
        count(distinct key_features.feature) as features_adopted,
        sum(events.duration_seconds) filter (where events.event_type = 'session_end')
        / nullif(60.0 * count(*) filter (where events.event_type = 'session_end'), 0) as avg_session_minutes,
        max(events.occurred_on) as last_event_on,
        arg_max(events.nps_score, (events.occurred_at, events.event_id)) filter (where events.event_type = 'nps_response')
            as month_latest_nps,
        arg_max(events.account_id, (events.occurred_at, events.event_id)) filter (where events.account_id is not null)
            as month_latest_account,
        max((events.occurred_at, events.event_id)) filter (where events.account_id is not null) as month_latest_account_key
    from events
    left join key_features
        on events.event_type = 'feature_used' and events.feature = key_features.feature
    group by all
),

tickets as (
    select
        entity_id,
        min(occurred_on) filter (where event_type = 'ticket_opened') as opened_on,
        min(occurred_on) filter (where event_type = 'ticket_resolved') as resolved_on
    from events
    where event_type in ('ticket_opened', 'ticket_resolved')
    group by entity_id, ticket_id
),

-- a ticket is open from the month it was opened until the month of its first resolution
ticket_changes as (
    select entity_id, date_trunc('month', opened_on) as period_start, 1 as open_change
    from tickets
    where opened_on is not null and (resolved_on is null or resolved_on > opened_on)
    union all
    select entity_id, date_trunc('month', resolved_on) as period_start, -1 as open_change
    from tickets
    where opened_on is not null and resolved_on > opened_on
),

monthly_ticket_changes as (
    select entity_id, period_start, sum(open_change) as open_change
    from ticket_changes
    group by all
),

entities as (
    select
        entity_id,
        min(period_start) as first_period,
        arg_max(month_latest_account, month_latest_account_key) as account_id
    from monthly
    group by entity_id
),

spine as (
    select
        entities.entity_id,
        entities.account_id,
        cast(unnest(generate_series(entities.first_period, date_trunc('month', as_of.as_of_date), interval 1 month)) as date)
            as period_start,
        as_of.as_of_date
    from entities
    cross join as_of
),

measured as (
    select
        spine.entity_id,
        spine.account_id,
        spine.period_start,
        last_day(spine.period_start) as period_end,
        spine.as_of_date,
        coalesce(monthly.login_days, 0) as login_days,
        coalesce(monthly.features_adopted, 0) as features_adopted,
        coalesce(monthly.avg_session_minutes, 0) as avg_session_minutes,
        datediff(
            'day',
            max(monthly.last_event_on) over running,
            least(last_day(spine.period_start), spine.as_of_date)
        ) as days_inactive,
        last_value(monthly.month_latest_nps ignore nulls) over running as latest_nps,
        sum(coalesce(monthly_ticket_changes.open_change, 0)) over running as open_tickets
    from spine
    left join monthly
        on spine.entity_id = monthly.entity_id and spine.period_start = monthly.period_start
    left join monthly_ticket_changes
        on spine.entity_id = monthly_ticket_changes.entity_id and spine.period_start = monthly_ticket_changes.period_start
    window running as (partition by spine.entity_id order by spine.period_start rows between unbounded preceding and current row)
),

signals as (
    select signal, measure from read_csv('$seeds/engagement_signals.csv', header = true)
    where score_model = 'saas_customer'
),

weights as (
    select * from read_csv('$seeds/engagement_weights.csv', header = true)
    where score_model = 'saas_customer'
),

signal_weights as (
    select signals.measure, weights.*
    from signals
    inner join weights on signals.signal = weights.signal
),

max_score as (
    select sum(greatest(best_points, 0)) as max_score
    from (
        select
            signals.signal,
            coalesce(max(
                case
                    when weights.rule = 'tier' then weights.points
                    when weights.rule = 'per_unit' and weights.points > 0 then weights.cap
                end
            ), 0) as best_points
        from signals
        left join weights on signals.signal = weights.signal
        group by signals.signal
    )
),

measure_values as (
    select
        entity_id,
        period_start,
        unnest(measure_list, recursive := true)
    from (
        select
            entity_id,
            period_start,
            [
                {'measure': 'login_days', 'measure_value': cast(measured.login_days as double)},
                {'measure': 'features_adopted', 'measure_value': cast(measured.features_adopted as double)},
                {'measure': 'avg_session_minutes', 'measure_value': cast(measured.avg_session_minutes as double)},
                {'measure': 'days_inactive', 'measure_value': cast(measured.days_inactive as double)},
                {'measure': 'latest_nps', 'measure_value': cast(measured.latest_nps as double)},
                {'measure': 'open_tickets', 'measure_value': cast(measured.open_tickets as double)}
            ] as measure_list
        from measured
    )
),

points as (
    select
        measure_values.entity_id,
        measure_values.period_start,
        sum(cast(
            case
                when measure_values.measure_value is null then 0
                when signal_weights.rule = 'tier'
                    then case
                        when measure_values.measure_value >= coalesce(signal_weights.min_value, measure_values.measure_value)
                            and (signal_weights.max_value is null or measure_values.measure_value < signal_weights.max_value)
                            then signal_weights.points
                        else 0
                    end
                when signal_weights.rule = 'per_unit'
                    then case
                        when signal_weights.cap is null
                            then floor(measure_values.measure_value / signal_weights.unit) * signal_weights.points
                        when signal_weights.points >= 0
                            then least(floor(measure_values.measure_value / signal_weights.unit) * signal_weights.points, signal_weights.cap)
                        else greatest(floor(measure_values.measure_value / signal_weights.unit) * signal_weights.points, signal_weights.cap)
                    end
                else 0
            end
        as decimal(18, 4))) as score
    from measure_values
    inner join signal_weights on measure_values.measure = signal_weights.measure
    group by all
),

bands as (
    select * from read_csv('$seeds/engagement_bands.csv', header = true)
    where score_model = 'saas_customer'
),

score_model as (
    select score_model, entity_type from read_csv('$seeds/score_models.csv', header = true)
    where score_model = 'saas_customer'
)

select
    score_model.score_model,
    score_model.entity_type,
    measured.entity_id,
    measured.account_id,
    measured.period_start,
    measured.period_end,
    measured.as_of_date,
    cast(coalesce(points.score, 0) as decimal(18, 4)) as score,
    cast(max_score.max_score as decimal(18, 4)) as max_score,
    cast(case
        when max_score.max_score > 0
            then round(100 * least(greatest(coalesce(points.score, 0), 0), max_score.max_score) / max_score.max_score, 2)
        else 0
    end as decimal(5, 2)) as normalized_score,
    bands.band
from measured
left join points on measured.entity_id = points.entity_id and measured.period_start = points.period_start
cross join max_score
cross join score_model
left join bands
    on coalesce(points.score, 0) >= coalesce(bands.min_score, coalesce(points.score, 0))
    and (bands.max_score is null or coalesce(points.score, 0) < bands.max_score);
