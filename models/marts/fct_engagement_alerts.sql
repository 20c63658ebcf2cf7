{#-
    Early warnings, one row per alert (score_model, entity_id, period_start, alert_type), with the
    figures that triggered it and the rule's thresholds: the rules are in int_engagement_alerts and
    their settings in the seed engagement_alert_rules.
-#}
with

alerts as (

    select * from {{ ref('int_engagement_alerts') }}

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
        score_drop_percent,
        periods_in_lowest_band,
        days_since_last_event,
        last_event_on,
        rule_min_points,
        rule_min_percent,
        rule_periods,
        rule_days,
        weights_version,
        -- the primary key, made once in int_engagement_alerts (the same grain, one row each)
        alert_key
    from alerts

)

select * from final
