{# Text of a top-level JSON property that is a string or a number; null when missing, null, boolean, an object or an array. #}
{% macro engagement_json_scalar(json_expr, property_name) -%}
    {%- if not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]{0,62}', property_name) -%}
        {{ exceptions.raise_compiler_error("engagement_json_scalar: property name '" ~ property_name ~ "' must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$") }}
    {%- endif -%}
    {{ return(adapter.dispatch('engagement_json_scalar', 'engagement_scoring')(json_expr, property_name)) }}
{%- endmacro %}

{% macro duckdb__engagement_json_scalar(json_expr, property_name) -%}
    case
        when json_type({{ json_expr }}, '$.{{ property_name }}') in ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')
            then json_extract_string({{ json_expr }}, '$.{{ property_name }}')
    end
{%- endmacro %}

{% macro postgres__engagement_json_scalar(json_expr, property_name) -%}
    {%- set parsed = engagement_helper_function('engagement_try_jsonb') ~ '(' ~ json_expr ~ ')' -%}
    case
        when jsonb_typeof({{ parsed }} -> '{{ property_name }}') in ('string', 'number')
            then {{ parsed }} ->> '{{ property_name }}'
    end
{%- endmacro %}

{% macro spark__engagement_json_scalar(json_expr, property_name) -%}
    {%- set value = 'variant_get(try_parse_json(' ~ json_expr ~ "), '$." ~ property_name ~ "')" -%}
    case
        when
            schema_of_variant({{ value }}) in ('STRING', 'BIGINT', 'DOUBLE')
            or schema_of_variant({{ value }}) like 'DECIMAL%'
            then variant_get({{ value }}, '$', 'string')
    end
{%- endmacro %}
