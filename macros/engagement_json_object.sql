{# Returns the text if it is a JSON object ('{}' when null or blank), else null: null means "not a JSON object". #}
{% macro engagement_json_object(text_expr) -%}
    {{ return(adapter.dispatch('engagement_json_object', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__engagement_json_object(text_expr) -%}
    case
        when {{ text_expr }} is null or trim({{ text_expr }}) = '' then '{}'
        when json_valid({{ text_expr }}) and json_type({{ text_expr }}) = 'OBJECT' then trim({{ text_expr }})
    end
{%- endmacro %}
