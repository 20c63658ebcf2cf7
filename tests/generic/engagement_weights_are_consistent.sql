{# Fails with one row per problem in a weights seed (the row's values and the rule it breaks): unknown signal, mixed rules, bad unit, missing or wrong-signed cap, empty or overlapping tiers. #}
{% test engagement_weights_are_consistent(model) %}

{#- a weights row as text (rule=tier, min_value=4, ...), so that a failing row can be found in the seed -#}
{%- set parts = [] -%}
{%- for column in ['rule', 'min_value', 'max_value', 'unit', 'points', 'cap'] -%}
    {%- do parts.append("'" ~ column ~ "=' || coalesce(cast(weights." ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
{%- endfor -%}
{%- set seed_row = parts | join(" || ', ' || ") %}

with

weights as (

    select * from {{ model }}

),

signals as (

    {{ engagement_declared_signals() }}

),

row_problems as (

    select
        weights.score_model,
        weights.signal,
        {{ seed_row }} as seed_row,
        case
            when signals.signal is null
                then 'signal is not declared in score_models/<score_model>.yml'
            when weights.rule = 'per_unit' and (weights.unit is null or weights.unit <= 0)
                then 'per_unit row needs unit > 0'
            when weights.rule = 'per_unit' and weights.points > 0 and weights.cap is null
                then 'per_unit row with positive points needs a cap (else the maximum score is unbounded)'
            when weights.rule = 'per_unit' and weights.cap is not null and weights.cap * weights.points < 0
                then 'cap must have the same sign as points'
            when weights.rule = 'tier' and weights.min_value is null and weights.max_value is null
                then 'tier row needs min_value or max_value'
            when weights.rule = 'tier' and weights.min_value >= weights.max_value
                then 'tier row needs min_value < max_value'
        end as problem
    from weights
    left join signals
        on
            weights.score_model = signals.score_model
            and weights.signal = signals.signal

),

signal_problems as (

    select
        score_model,
        signal,
        'all ' || cast(count(*) as {{ dbt.type_string() }}) || ' rows of the signal' as seed_row,
        case
            when count(distinct rule) > 1 then 'a signal has either tier rows or one per_unit row, not both'
            when max(rule) = 'per_unit' and count(*) > 1 then 'a per_unit signal has exactly one row'
        end as problem
    from weights
    group by score_model, signal

),

tiers as (

    select
        score_model,
        signal,
        min_value,
        max_value,
        {{ seed_row }} as seed_row,
        row_number() over (
            partition by score_model, signal
            order by min_value nulls first, max_value nulls last, points
        ) as tier_rank
    from weights
    where rule = 'tier'

),

overlapping_tiers as (

    select
        lower_tier.score_model,
        lower_tier.signal,
        lower_tier.seed_row || ' and ' || upper_tier.seed_row as seed_row,
        'tiers overlap: a value may match two rows' as problem
    from tiers as lower_tier
    inner join tiers as upper_tier
        on
            lower_tier.score_model = upper_tier.score_model
            and lower_tier.signal = upper_tier.signal
            and lower_tier.tier_rank < upper_tier.tier_rank
            and coalesce(lower_tier.min_value < upper_tier.max_value, true)
            and coalesce(upper_tier.min_value < lower_tier.max_value, true)

),

problems as (

    select * from row_problems where problem is not null
    union all
    select * from signal_problems where problem is not null
    union all
    select * from overlapping_tiers

)

select * from problems

{% endtest %}

