{# The score models declared with cold_start: new (an entity's first period gets no band). #}
{% macro engagement_cold_start_new_models() -%}
    {%- set names = [] -%}
    {%- for name, declaration in engagement_score_model_registry().items() -%}
        {%- if declaration.cold_start == 'new' -%}
            {%- do names.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
