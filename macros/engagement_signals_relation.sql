{# A subquery of a score model's declared signals (signal, measure), as escaped literals. #}
{% macro engagement_signals_relation(score_model) -%}
    {%- for signal in score_model.signals %}
    select
        {{ engagement_string_literal(signal.signal) }} as signal,
        {{ engagement_string_literal(signal.measure) }} as measure
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
