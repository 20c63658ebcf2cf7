{#-
    Every score model's measures, as long rows (one per model, entity, period and signal): the
    generated int_<model>__measures tables (a row per entity and period, a column per measure)
    turned into one row per signal (engagement_measure_rows), narrowed to one model by the var
    score_model. Calendar periods have period_kind 'calendar'; the trailing window as of the
    as-of date has 'trailing'.
    A view, read only through the int_engagement_points view (itself made again by each of its
    readers): the long rows are made as they are read and never written (the wide tables are a sixth of their size: at 10M events writing the long rows
    cost 2.2 s of the measures model's 8.7 s). On Spark a table: the local Hive metastore (Derby)
    refuses a view text over 32,700 characters, and this text grows by about 100 characters per
    declared signal (7.7k for the 27 shipped), so a few hundred signals would break the build there.
-#}
{{ config(materialized=('table' if target.type == 'spark' else 'view')) }}
with

{% for name in engagement_selected_score_models() %}
{{ name }} as (

    {{ engagement_measure_rows(name, ref('int_' ~ name ~ '__measures')) }}

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
