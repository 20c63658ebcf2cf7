{#-
    One row per score row and signal: the measure behind the signal and the points it earns
    under the weights seed. Tier rows match min_value <= value < max_value (a blank bound is
    open); per-unit rows earn points for each full unit, held to the cap. A null measure, or a
    value in no tier, earns 0. The points of an entity and period add up to its score.
-#}
{%- set declaration = engagement_score_model() -%}
{%- set score_model = engagement_string_literal(declaration.name) -%}

with

measures as (

    select * from {{ ref('int_entity_periods_measured') }}

),

signals as (

    {{ engagement_signals_relation(declaration) }}

),

weights as (

    select * from {{ ref('engagement_weights') }}
    where score_model = {{ score_model }}

),

signal_values as (

    select
        measures.entity_id,
        measures.period_start,
        signals.signal,
        signals.measure,
        case signals.measure
            {%- for signal in declaration.signals %}
            when {{ engagement_string_literal(signal.measure) }}
                then cast(measures.{{ adapter.quote(signal.measure) }} as {{ engagement_type_double() }})
            {%- endfor %}
        end as measure_value
    from measures
    cross join signals

),

points_earned as (

    select
        signal_values.entity_id,
        signal_values.period_start,
        signal_values.signal,
        signal_values.measure,
        signal_values.measure_value,
        coalesce(sum(
            case
                when signal_values.measure_value is null then 0
                when weights.rule = 'tier'
                    then case
                        when
                            signal_values.measure_value >= coalesce(weights.min_value, signal_values.measure_value)
                            and (weights.max_value is null or signal_values.measure_value < weights.max_value)
                            then weights.points
                        else 0
                    end
                when weights.rule = 'per_unit'
                    then case
                        when weights.cap is null
                            then floor(signal_values.measure_value / weights.unit) * weights.points
                        when weights.points >= 0
                            then least(floor(signal_values.measure_value / weights.unit) * weights.points, weights.cap)
                        else greatest(floor(signal_values.measure_value / weights.unit) * weights.points, weights.cap)
                    end
                else 0
            end
        ), 0) as points
    from signal_values
    left join weights
        on signal_values.signal = weights.signal
    group by
        signal_values.entity_id,
        signal_values.period_start,
        signal_values.signal,
        signal_values.measure,
        signal_values.measure_value

),

final as (

    select
        {{ score_model }} as score_model,
        {{ engagement_string_literal(declaration.entity_type) }} as entity_type,
        points_earned.entity_id,
        points_earned.period_start,
        points_earned.signal,
        points_earned.measure,
        points_earned.measure_value,
        cast(points_earned.points as decimal(18, 4)) as points
    from points_earned

)

select * from final
