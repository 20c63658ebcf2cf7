{#
    The long rows of one score model's measures: its int_<model>__measures rows (one per entity and
    period, a column per measure) once per declared signal, with the signal's measure as
    measure_value. measure_key, the key of the grain, is the row's period_key (an md5, always 32
    characters) followed by '|' and the signal: the same on every engine, and computed here, where
    the rows are read, rather than written to the table six times longer than its wide rows.
    An entity's account, group and the as-of date come from its trailing window's row, the one row an
    incremental run always rewrites (macros/engagement_rescore.sql): its calendar rows before the
    periods rescored keep the values of the run that wrote them. On a full build every row of an
    entity holds the same ones.
    Signal and measure names come from the registry (validated names) and reach the SQL as literals
    and quoted identifiers. The signals are a VALUES list, not a union of one-row selects: Spark
    4 fails the task that reads a cross join with such a union under a union of models
    (ClassCastException on UnionExec.children, as the task is deserialized).
#}
{% macro engagement_measure_rows(score_model, measures) -%}
{%- set signals = engagement_score_model_registry()[score_model]['signals'] -%}
select
    measures.score_model,
    measures.entity_type,
    measures.entity_id,
    current_rows.account_id,
    current_rows.group_id,
    measures.period_kind,
    measures.period_type,
    measures.period_start,
    measures.period_end,
    measures.effective_end,
    current_rows.as_of_date,
    measures.is_first_period,
    measures.last_event_on,
    signals.signal,
    signals.measure,
    case signals.measure
        {%- for signal in signals %}
        when {{ engagement_string_literal(signal.measure) }} then measures.{{ adapter.quote(signal.measure) }}
        {%- endfor %}
    end as measure_value,
    {{ dbt.concat(['measures.period_key', "'|'", 'signals.signal']) }} as measure_key
from {{ measures }} as measures
inner join (
    select
        entity_id,
        account_id,
        group_id,
        as_of_date
    from {{ measures }}
    where period_kind = 'trailing'
) as current_rows
    on measures.entity_id = current_rows.entity_id
cross join (
    values
    {%- for signal in signals %}
        ({{ engagement_string_literal(signal.signal) }}, {{ engagement_string_literal(signal.measure) }})
        {{- "," if not loop.last }}
    {%- endfor %}
) as signals (signal, measure)
{%- endmacro %}
