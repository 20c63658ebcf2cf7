{#-
    The rules of a seed, declared as this test's arguments in seeds/_seeds.yml, where
    `scripts/engagement.py validate` reads the same declarations to check the CSV before a build
    (the SQL conditions are run there too, on DuckDB). One row per problem: the key columns, the
    row's values as text (seed_row) and the rule it breaks.
    - rows: [{when, check | blank, show, message}]: every row matching `when` meets `check`
      (`blank: [columns]` is one `<column> is null` check per column, {blank} naming it);
    - groups: [{group_by, when, check, message}]: `check` holds over each group's rows;
    - ranges: [{partition_by, when, lower, upper, noun, cover}]: the [lower, upper) ranges of a
      partition do not overlap (a blank bound is open); with cover, they also leave no gap and the
      lowest has no lower bound and the highest no upper bound;
    - declared_signal: [score model column, signal column]: the pair is a declared signal.
    A message may name a row's value as {column}.
-#}
{% test engagement_seed_rules(model, key, show, rows=[], groups=[], ranges=[], declared_signal=none) %}

{%- set text = dbt.type_string() -%}
{%- set parts = [] -%}
{%- for column in show -%}
{%- do parts.append("'" ~ column ~ "=' || coalesce(cast(" ~ column ~ " as " ~ text ~ "), '')") -%}
{%- endfor -%}
{%- set seed_row = parts | join(" || ', ' || ") -%}
{%- set checks = [] -%}
{%- for rule in rows -%}
{%- if rule.blank is defined -%}
{%- for column in rule.blank -%}
{%- do checks.append({'when': rule.when, 'check': column ~ ' is null',
                      'message': rule.message | replace('{blank}', column)}) -%}
{%- endfor -%}
{%- else -%}
{%- do checks.append(rule) -%}
{%- endif -%}
{%- endfor %}

with

seed as (

    select * from {{ model }}

),

{%- if declared_signal %}

signals as (

    {{ engagement_declared_signals() }}

),
{%- endif %}
{%- for rule in ranges %}

ranged_{{ loop.index }} as (

    -- the rows of range rule {{ loop.index }} in the order of their ranges, within their partition
    select
        seed.*,
        {{ seed_row }} as seed_row,
        row_number() over (
            partition by {{ rule.partition_by | join(', ') }}
            order by {{ rule.lower }} nulls first, {{ rule.upper }} nulls last, {{ key | join(', ') }}
        ) as range_rank,
        count(*) over (partition by {{ rule.partition_by | join(', ') }}) as range_count
    from seed
    where {{ rule.when or 'true' }}

),
{%- endfor %}

problems as (

    select
        {{ key | join(', ') }},
        {{ seed_row }} as seed_row,
        'no problem' as problem
    from seed
    where 1 = 0
    {%- for rule in checks %}

    union all

    select
        {{ key | join(', ') }},
        {{ seed_row }} as seed_row,
        {{ engagement_seed_rule_message(rule.message) }} as problem
    from seed
    where
        ({{ rule.when or 'true' }})
        and not coalesce(({{ rule.check }}), false)
    {%- endfor %}
    {%- for rule in groups %}

    union all

    select
        {%- for column in key %}
        {{ column if column in rule.group_by else 'cast(null as ' ~ text ~ ')' }} as {{ column }},
        {%- endfor %}
        'all ' || cast(count(*) as {{ text }}) || ' rows of the group' as seed_row,
        {{ engagement_string_literal(rule.message) }} as problem
    from seed
    where {{ rule.when or 'true' }}
    group by {{ rule.group_by | join(', ') }}
    having not coalesce(({{ rule.check }}), false)
    {%- endfor %}
    {%- for rule in ranges %}

    union all

    select
        {%- for column in key %}
        lower_range.{{ column }},
        {%- endfor %}
        lower_range.seed_row || ' and ' || upper_range.seed_row as seed_row,
        {%- if rule.cover %}
        {{ engagement_string_literal(rule.noun ~ 's must be contiguous: a ' ~ rule.noun ~ "'s " ~ rule.lower
            ~ ' equals the ' ~ rule.upper ~ ' of the ' ~ rule.noun ~ ' below') }} as problem
        {%- else %}
        {{ engagement_string_literal(rule.noun ~ 's overlap: a value may match two rows') }} as problem
        {%- endif %}
    from ranged_{{ loop.index }} as lower_range
    inner join ranged_{{ loop.index }} as upper_range
        on
            {%- for column in rule.partition_by %}
            lower_range.{{ column }} = upper_range.{{ column }}
            and
            {%- endfor %}
            {%- if rule.cover %}
            upper_range.range_rank = lower_range.range_rank + 1
            and not coalesce(lower_range.{{ rule.upper }} = upper_range.{{ rule.lower }}, false)
            {%- else %}
            lower_range.range_rank < upper_range.range_rank
            and coalesce(lower_range.{{ rule.lower }} < upper_range.{{ rule.upper }}, true)
            and coalesce(upper_range.{{ rule.lower }} < lower_range.{{ rule.upper }}, true)
            {%- endif %}
    {%- if rule.cover %}

    union all

    select
        {{ key | join(', ') }},
        seed_row,
        case
            when range_rank = 1
                then {{ engagement_string_literal('the lowest ' ~ rule.noun ~ ' must leave ' ~ rule.lower
                    ~ ' blank, so every low value has a ' ~ rule.noun) }}
            else {{ engagement_string_literal('the highest ' ~ rule.noun ~ ' must leave ' ~ rule.upper
                ~ ' blank, so every high value has a ' ~ rule.noun) }}
        end as problem
    from ranged_{{ loop.index }} as ranked
    where
        (range_rank = 1 and {{ rule.lower }} is not null)
        or (range_rank = range_count and {{ rule.upper }} is not null)
    {%- endif %}
    {%- endfor %}
    {%- if declared_signal %}

    union all

    select
        {{ key | join(', ') }},
        {{ seed_row }} as seed_row,
        'signal is not declared in score_models/' || {{ declared_signal[0] }} || '.yml' as problem
    from seed
    where not exists (
        select 1 from signals
        where
            signals.score_model = seed.{{ declared_signal[0] }}
            and signals.signal = seed.{{ declared_signal[1] }}
    )
    {%- endif %}

)

select * from problems

{% endtest %}
