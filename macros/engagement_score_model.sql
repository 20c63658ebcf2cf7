{# The score models a build scores: every declared one, or the one the var score_model names (refused before any SQL is built when undeclared). #}
{% macro engagement_selected_score_models() -%}
    {%- set registry = engagement_score_model_registry() -%}
    {%- set name = var('score_model', none) -%}
    {%- if name is none or name == '' -%}
        {{ return(registry.keys() | list | sort) }}
    {%- endif -%}
    {%- if name not in registry -%}
        {{ exceptions.raise_compiler_error(
            "var 'score_model' names no declared score model: '" ~ name ~ "'. Declared: "
            ~ (registry.keys() | list | sort | join(', ')) ~ " (score_models/*.yml, then scripts/engagement.py generate)"
        ) }}
    {%- endif -%}
    {{ return([name]) }}
{%- endmacro %}
