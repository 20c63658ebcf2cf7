{# Returns the text if it is a JSON object ('{}' when null or blank), else null: null means "not a JSON object". #}
{% macro engagement_json_object(text_expr) -%}
    {{ return(adapter.dispatch('engagement_json_object', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__engagement_json_object(text_expr) -%}
    {#- json_valid also passes NaN / Infinity literals and trailing commas, which JSON (RFC 8259) is
        not: with the strings blanked out and true/false/null made 0, any letter but an exponent's e,
        or a comma before a closing bracket, fails the text. -#}
    {%- set bare = "regexp_replace(regexp_replace(" ~ text_expr ~ ", '\"([^\"\\\\]|\\\\.)*\"', '\"\"', 'g'), 'true|false|null', '0', 'g')" -%}
    case
        when {{ text_expr }} is null or {{ engagement_trim(text_expr) }} = '' then '{}'
        when
            json_valid({{ text_expr }})
            and json_type({{ text_expr }}) = 'OBJECT'
            and not regexp_matches({{ bare }}, '[a-df-zA-DF-Z]|,[[:space:]]*[}\]]')
            then {{ engagement_trim(text_expr) }}
    end
{%- endmacro %}
