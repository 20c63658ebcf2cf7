{# The group roll-ups of the build: (score model, its group_by property, the least members a group needs: the declared min_group_size, for a private model at least the var engagement__privacy_min_group_size). #}
{% macro engagement_group_roll_ups() -%}
    {%- set privacy_floor = engagement_int_var('engagement__privacy_min_group_size', 5) | int -%}
    {%- set roll_ups = [] -%}
    {%- set selected = engagement_selected_score_models() -%}
    {%- for name, declaration in engagement_score_model_registry().items() -%}
        {%- if declaration.group_property and name in selected -%}
            {%- set floor = [declaration.min_group_size, privacy_floor if declaration.private else 1] | max -%}
            {%- do roll_ups.append((name, declaration.group_property, floor)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(roll_ups) }}
{%- endmacro %}
