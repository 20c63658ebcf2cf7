-- fct_engagement_scores in one hand-written DuckDB query, written for speed, as the benchmark's
-- yardstick for the dbt build: the fastest single query we could write to the same contract (README:
-- "The input contract", "Nothing is lost", the score model), same seeds, same rows. What it does
-- differently from the models:
--   * rejected rows are only filtered out, not kept (a row's reason does not change the scores), and
--     nothing is written but the scores;
--   * event types and properties texts are parsed once per distinct text, then joined back;
--   * timestamps: the contract's regular expression decides, DuckDB's casts read;
--   * only the event_ids with more than one valid copy are ranked, and only their rows hashed;
--   * everything after the clean events runs on monthly aggregates (arg_max, window functions).
-- bench/contenders.py fills in $events (the Parquet file) and $seeds (the seeds folder).

create or replace table fct_engagement_scores as

with

raw_events as not materialized (
    select event_id, occurred_at, user_id, account_id, event_type, properties, loaded_at
    from read_parquet('$events')
),

aliases as (
    select
        regexp_replace(regexp_replace(lower(trim(alias)), '[ \t\n\r\f\x0B.-]+', '_', 'g'), '^_+|_+$', '', 'g')
            as alias,
        regexp_replace(regexp_replace(lower(trim(event_type)), '[ \t\n\r\f\x0B.-]+', '_', 'g'), '^_+|_+$', '', 'g')
            as event_type
    from read_csv('$seeds/event_type_aliases.csv', header = true, all_varchar = true)
),

-- every raw spelling of a type, normalized and mapped once (null and blank are both missing)
type_map as (
    select
        raw_types.raw_event_type,
        coalesce(aliases.event_type, nullif(normalized.event_type, '')) as event_type
    from (select distinct coalesce(event_type, '') as raw_event_type from raw_events) as raw_types
    cross join lateral (
        select regexp_replace(
            regexp_replace(lower(trim(raw_types.raw_event_type)), '[ \t\n\r\f\x0B.-]+', '_', 'g'), '^_+|_+$', '', 'g'
        ) as event_type
    ) as normalized
    left join aliases on normalized.event_type = aliases.alias
),

-- every distinct properties text checked once, with the one value each scored type reads from it
property_map as (
    select
        raw_properties,
        properties is not null as is_valid_properties,
        nullif(lower((case when ascii(json_scalar.feature[1]) > 32 and ascii(json_scalar.feature[-1]) > 32 then json_scalar.feature else trim(json_scalar.feature, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end)), '') as feature,
        case
            when regexp_full_match((case when ascii(json_scalar.duration[1]) > 32 and ascii(json_scalar.duration[-1]) > 32 then json_scalar.duration else trim(json_scalar.duration, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end), '[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?')
                and isfinite(try_cast((case when ascii(json_scalar.duration[1]) > 32 and ascii(json_scalar.duration[-1]) > 32 then json_scalar.duration else trim(json_scalar.duration, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end) as double))
                then try_cast((case when ascii(json_scalar.duration[1]) > 32 and ascii(json_scalar.duration[-1]) > 32 then json_scalar.duration else trim(json_scalar.duration, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end) as double)
        end as duration_seconds,
        case
            when regexp_full_match((case when ascii(json_scalar.score[1]) > 32 and ascii(json_scalar.score[-1]) > 32 then json_scalar.score else trim(json_scalar.score, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end), '[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?')
                and isfinite(try_cast((case when ascii(json_scalar.score[1]) > 32 and ascii(json_scalar.score[-1]) > 32 then json_scalar.score else trim(json_scalar.score, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end) as double))
                then try_cast((case when ascii(json_scalar.score[1]) > 32 and ascii(json_scalar.score[-1]) > 32 then json_scalar.score else trim(json_scalar.score, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end) as double)
        end as score_number,
        nullif((case when ascii(json_scalar.ticket_id[1]) > 32 and ascii(json_scalar.ticket_id[-1]) > 32 then json_scalar.ticket_id else trim(json_scalar.ticket_id, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end), '') as ticket_id
    from (
        select
            raw_properties,
            case
                when (case when ascii(raw_properties[1]) > 32 and ascii(raw_properties[-1]) > 32 then raw_properties else trim(raw_properties, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end) = '' then '{}'
                -- the contract's JSON object: strict syntax (no trailing commas, no bare words but
                -- true/false/null, no escaped NUL), no repeated keys
                when json_valid(raw_properties)
                    and not regexp_matches(regexp_replace(trim(raw_properties), '"([^"\\]|\\.)*"', '""', 'g'), ',\s*[}\]]')
                    and regexp_full_match(regexp_replace(trim(raw_properties), '"([^"\\]|\\.)*"', '""', 'g'), '[\s{}\[\],:0-9eE.+"-]*((true|false|null)[\s{}\[\],:0-9eE.+"-]*)*')
                    and not regexp_matches(raw_properties, '(^|[^\\])(\\\\)*\\u0000')
                    and json_type(raw_properties) = 'OBJECT'
                    and len(json_keys(raw_properties)) = len(list_distinct(json_keys(raw_properties)))
                    then (case when ascii(raw_properties[1]) > 32 and ascii(raw_properties[-1]) > 32 then raw_properties else trim(raw_properties, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end)
            end as properties
        from (select distinct coalesce(properties, '') as raw_properties from raw_events) as texts
    ) as checked
    cross join lateral (
        select
            case when json_type(properties, '$.feature') in ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')
                then json_extract_string(properties, '$.feature') end as feature,
            case when json_type(properties, '$.duration_seconds') in ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')
                then json_extract_string(properties, '$.duration_seconds') end as duration,
            case when json_type(properties, '$.score') in ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')
                then json_extract_string(properties, '$.score') end as score,
            case when json_type(properties, '$.ticket_id') in ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')
                then json_extract_string(properties, '$.ticket_id') end as ticket_id
    ) as json_scalar
),

parsed as materialized (
    select
        nullif((case when ascii(raw_events.event_id[1]) > 32 and ascii(raw_events.event_id[-1]) > 32 then raw_events.event_id else trim(raw_events.event_id, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end), '') as event_id,
        nullif((case when ascii(raw_events.user_id[1]) > 32 and ascii(raw_events.user_id[-1]) > 32 then raw_events.user_id else trim(raw_events.user_id, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end), '') as user_id,
        nullif((case when ascii(raw_events.account_id[1]) > 32 and ascii(raw_events.account_id[-1]) > 32 then raw_events.account_id else trim(raw_events.account_id, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end), '') as account_id,
        type_map.event_type,
        case
            when regexp_full_match((case when ascii(raw_events.occurred_at[1]) > 32 and ascii(raw_events.occurred_at[-1]) > 32 then raw_events.occurred_at else trim(raw_events.occurred_at, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end), '(?:[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{1,9})?)?(?:[Zz]|[+-](?:(?:0[0-9]|1[0-7])(?::?[0-5][0-9])?|18(?::?00)?))?')
                and (case when ascii(raw_events.occurred_at[1]) > 32 and ascii(raw_events.occurred_at[-1]) > 32 then raw_events.occurred_at else trim(raw_events.occurred_at, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end) not like '0000%'
                then case
                    when regexp_full_match((case when ascii(raw_events.occurred_at[1]) > 32 and ascii(raw_events.occurred_at[-1]) > 32 then raw_events.occurred_at else trim(raw_events.occurred_at, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end), '.*(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)')
                        then timezone('UTC', try_cast(upper((case when ascii(raw_events.occurred_at[1]) > 32 and ascii(raw_events.occurred_at[-1]) > 32 then raw_events.occurred_at else trim(raw_events.occurred_at, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end)) as timestamptz))
                    else try_cast(upper((case when ascii(raw_events.occurred_at[1]) > 32 and ascii(raw_events.occurred_at[-1]) > 32 then raw_events.occurred_at else trim(raw_events.occurred_at, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end)) as timestamp)
                end
        end as occurred_at,
        case
            when regexp_full_match((case when ascii(raw_events.loaded_at[1]) > 32 and ascii(raw_events.loaded_at[-1]) > 32 then raw_events.loaded_at else trim(raw_events.loaded_at, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end), '(?:[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{1,9})?)?(?:[Zz]|[+-](?:(?:0[0-9]|1[0-7])(?::?[0-5][0-9])?|18(?::?00)?))?')
                and (case when ascii(raw_events.loaded_at[1]) > 32 and ascii(raw_events.loaded_at[-1]) > 32 then raw_events.loaded_at else trim(raw_events.loaded_at, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end) not like '0000%'
                then case
                    when regexp_full_match((case when ascii(raw_events.loaded_at[1]) > 32 and ascii(raw_events.loaded_at[-1]) > 32 then raw_events.loaded_at else trim(raw_events.loaded_at, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end), '.*(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)')
                        then timezone('UTC', try_cast(upper((case when ascii(raw_events.loaded_at[1]) > 32 and ascii(raw_events.loaded_at[-1]) > 32 then raw_events.loaded_at else trim(raw_events.loaded_at, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end)) as timestamptz))
                    else try_cast(upper((case when ascii(raw_events.loaded_at[1]) > 32 and ascii(raw_events.loaded_at[-1]) > 32 then raw_events.loaded_at else trim(raw_events.loaded_at, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) end)) as timestamp)
                end
        end as loaded_at,
        property_map.is_valid_properties,
        case when type_map.event_type = 'feature_used' then property_map.feature end as feature,
        case when type_map.event_type = 'session_end' then property_map.duration_seconds end as duration_seconds,
        case when type_map.event_type = 'nps_response' then property_map.score_number end as score_number,
        case when type_map.event_type in ('ticket_opened', 'ticket_resolved') then property_map.ticket_id end as ticket_id,
        raw_events.event_id as raw_event_id,
        raw_events.occurred_at as raw_occurred_at,
        raw_events.user_id as raw_user_id,
        raw_events.account_id as raw_account_id,
        raw_events.event_type as raw_event_type,
        raw_events.properties as raw_properties,
        raw_events.loaded_at as raw_loaded_at
    from raw_events
    left join type_map on coalesce(raw_events.event_type, '') = type_map.raw_event_type
    left join property_map on coalesce(raw_events.properties, '') = property_map.raw_properties
),

clean as not materialized (
    select *
    from parsed
    where
        event_id is not null
        and user_id is not null
        and event_type is not null
        and occurred_at is not null
        and occurred_at >= timestamp '2000-01-01'
        and not coalesce(occurred_at > loaded_at + interval 1 day, false)
        and is_valid_properties
        and (event_type <> 'feature_used' or feature is not null)
        and (event_type <> 'session_end' or coalesce(duration_seconds >= 0, false))
        and (event_type <> 'nps_response'
            or coalesce(score_number between 0 and 10 and score_number = floor(score_number), false))
        and (event_type not in ('ticket_opened', 'ticket_resolved') or ticket_id is not null)
),

copied_event_ids as (
    select event_id from clean group by event_id having count(*) > 1
),

-- one copy per event_id: the latest loaded_at, ties broken by the row's content (only ids with copies)
kept as (
    select * exclude (copy_rank)
    from (
        select
            clean.*,
            row_number() over (
                partition by clean.event_id
                order by
                    clean.loaded_at desc nulls last,
                    md5(
                        coalesce(raw_event_id, '<null>') || '|' || coalesce(raw_occurred_at, '<null>') || '|'
                        || coalesce(raw_user_id, '<null>') || '|' || coalesce(raw_account_id, '<null>') || '|'
                        || coalesce(raw_event_type, '<null>') || '|' || coalesce(raw_properties, '<null>') || '|'
                        || coalesce(raw_loaded_at, '<null>')
                    ),
                    raw_event_id nulls first, raw_occurred_at nulls first, raw_user_id nulls first,
                    raw_account_id nulls first, raw_event_type nulls first, raw_properties nulls first,
                    raw_loaded_at nulls first
            ) as copy_rank
        from clean
        semi join copied_event_ids on clean.event_id = copied_event_ids.event_id
    ) as ranked
    where copy_rank = 1

    union all

    select clean.*
    from clean
    anti join copied_event_ids on clean.event_id = copied_event_ids.event_id
),

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
        cast(score_number as integer) as nps_score,
        ticket_id
    from kept
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
