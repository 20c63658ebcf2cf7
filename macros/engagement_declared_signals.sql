{# A subquery of every declared score model's signals (score_model, signal), for the seed tests. #}
{% macro engagement_declared_signals() -%}
    {%- set rows = [] -%}
    {%- for name, declaration in engagement_score_model_registry().items() -%}
        {%- for signal in declaration.signals -%}
            {%- do rows.append((name, signal.signal)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for name, signal in rows %}
    select
        {{ engagement_string_literal(name) }} as score_model,
        {{ engagement_string_literal(signal) }} as signal
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
