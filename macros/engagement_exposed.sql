{# A condition on a score_model column: true unless the model is declared private (individual scores kept out of the marts BI reads), or the var engagement__expose_private_scores allows them. #}
{% macro engagement_exposed(score_model_column) -%}
    {%- set private = [] -%}
    {%- for name, declaration in engagement_score_model_registry().items() if declaration.private -%}
        {%- do private.append(engagement_string_literal(name)) -%}
    {%- endfor -%}
    {%- if private and not var('engagement__expose_private_scores', false) -%}
    {{ score_model_column }} not in ({{ private | join(', ') }})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}
