{# The account roll-ups of the build: (account-level score model, the user-level model it declares in rolls_up), for the selected models. #}
{% macro engagement_account_roll_ups() -%}
    {%- set pairs = [] -%}
    {%- set selected = engagement_selected_score_models() -%}
    {%- for name, declaration in engagement_score_model_registry().items() -%}
        {%- if declaration.rolls_up and name in selected -%}
            {%- do pairs.append((name, declaration.rolls_up)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(pairs) }}
{%- endmacro %}
