{# The declaration of a score model (from the generated registry); refuses an undeclared name before any SQL is built. #}
{% macro engagement_score_model(name=none) -%}
    {%- set name = name if name is not none else var('score_model', 'saas_customer') -%}
    {%- set registry = engagement_score_model_registry() -%}
    {%- if name not in registry -%}
        {{ exceptions.raise_compiler_error(
            "var 'score_model' names no declared score model: '" ~ name ~ "'. Declared: "
            ~ (registry.keys() | list | sort | join(', ')) ~ " (score_models/*.yml, then scripts/engagement.py generate)"
        ) }}
    {%- endif -%}
    {%- set declaration = registry[name] -%}
    {%- do declaration.update({'name': name}) -%}
    {{ return(declaration) }}
{%- endmacro %}
