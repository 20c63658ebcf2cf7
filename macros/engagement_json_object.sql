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

{% macro postgres__engagement_json_object(text_expr) -%}
    case
        when {{ text_expr }} is null or trim({{ text_expr }}) = '' then '{}'
        when jsonb_typeof({{ engagement_helper_function('engagement_try_jsonb') }}({{ text_expr }})) = 'object'
            then trim({{ text_expr }})
    end
{%- endmacro %}

{% macro spark__engagement_json_object(text_expr) -%}
    {#- Spark 4's variant parser validates the whole text (get_json_object and from_json are lenient). -#}
    case
        when {{ text_expr }} is null or trim({{ text_expr }}) = '' then '{}'
        when schema_of_variant(try_parse_json({{ text_expr }})) like 'OBJECT%' then trim({{ text_expr }})
    end
{%- endmacro %}
