{#-
    Early warnings: one row per alert, by the rules of the seed engagement_alert_rules (per score
    model; a model without rows raises none), on every calendar period of the exposed models:
    - sudden_drop: the score fell by at least min_points against the previous period, or by at
      least min_percent of a previous score above 0 (either rule, each optional);
    - band_down: the entity moved to a lower band;
    - sustained_low: periods consecutive periods or more in the model's lowest band (raised again
      each period the run goes on, with its length);
    - gone_quiet: days or more since the entity's latest event, at the period's end (the as-of date
      for the open period).
    Each row carries the figures that triggered it and the rule's thresholds. Read by the mart
    fct_engagement_alerts and by fct_engagement_current (the alerts of the open period).
-#}
with

changes as (

    select * from {{ ref('int_engagement_score_changes') }}
    where
        period_kind = 'calendar'
        and {{ engagement_exposed('score_model') }}

),

rules as (

    select * from {{ ref('engagement_alert_rules') }}

),

raised as (

    select
        changes.*,
        rules.alert_type,
        rules.min_points,
        rules.min_percent,
        rules.periods as min_periods,
        rules.days as min_days
    from changes
    inner join rules
        on changes.score_model = rules.score_model
    where
        (
            rules.alert_type = 'sudden_drop'
            and changes.previous_score is not null
            and (
                (rules.min_points is not null and changes.previous_score - changes.score >= rules.min_points)
                -- no division: a drop of at least min_percent of the previous score
                or (
                    rules.min_percent is not null
                    and changes.previous_score > 0
                    and 100 * (changes.previous_score - changes.score) >= rules.min_percent * changes.previous_score
                )
            )
        )
        or (rules.alert_type = 'band_down' and changes.band_change = 'down')
        or (rules.alert_type = 'sustained_low' and changes.periods_in_lowest_band >= rules.periods)
        or (rules.alert_type = 'gone_quiet' and changes.days_since_last_event >= rules.days)

),

final as (

    select
        score_model,
        entity_type,
        entity_id,
        account_id,
        period_start,
        period_end,
        as_of_date,
        alert_type,
        score,
        normalized_score,
        band,
        previous_score,
        previous_band,
        score_change,
        normalized_change,
        -- cast outside the case: a case with a null branch drops the scale on PostgreSQL
        cast(
            case
                when previous_score > 0 then round(100 * (previous_score - score) / previous_score, 2)
            end
            as decimal(9, 2)
        ) as score_drop_percent,
        periods_in_lowest_band,
        days_since_last_event,
        last_event_on,
        cast(min_points as decimal(18, 4)) as rule_min_points,
        cast(min_percent as decimal(9, 2)) as rule_min_percent,
        cast(min_periods as {{ dbt.type_int() }}) as rule_periods,
        cast(min_days as {{ dbt.type_int() }}) as rule_days,
        weights_version,
        {{ engagement_surrogate_key([
            'score_model',
            'entity_id',
            'period_start',
            'alert_type'
        ]) }} as alert_key
    from raised

)

select * from final
