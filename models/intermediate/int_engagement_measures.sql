{#-
    Every score model's measures, as long rows (one per model, entity, period and signal): the
    union of the generated int_<model>__measures models, narrowed to one model by the var
    score_model. Calendar periods have period_kind 'calendar'; the trailing window as of the
    as-of date has 'trailing'.
    A view: each generated model is a table already, and int_engagement_points reads this once, so
    a table here would only copy every measure row again.
-#}
{{ config(materialized='view') }}
with

{% for name in engagement_selected_score_models() %}
{{ name }} as (

    select * from {{ ref('int_' ~ name ~ '__measures') }}

),

{% endfor -%}
final as (

    {% for name in engagement_selected_score_models() -%}
    select * from {{ name }}
    {% if not loop.last %}
    union all

    {% endif -%}
    {%- endfor %}
)

select * from final
