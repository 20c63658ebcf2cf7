{# Renders the SQL of int_entity_periods_measured for a score model, from its generated macro. #}
{% macro engagement_measures_sql(score_model) -%}
    {{ return(context['engagement_measures__' ~ score_model.name]()) }}
{%- endmacro %}
