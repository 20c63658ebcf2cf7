{# Returns the text if it is a strict JSON object with unique top-level names ('{}' when null or blank), else null: null means "not a JSON object". #}
{% macro engagement_json_object(text_expr) -%}
    {{ return(adapter.dispatch('engagement_json_object', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{#-
    The same texts pass on every engine: strict JSON (RFC 8259: no trailing commas, NaN or
    comments, which DuckDB's reader lets through), an object, no name twice at the top level (the
    engines disagree on which copy wins), and no \u0000 escape (PostgreSQL's jsonb refuses it).
-#}

{% macro engagement_json_nul_escape_pattern() -%}
    {#- an odd number of backslashes before u0000: an escaped NUL, not an escaped backslash -#}
    (^|[^\\])(\\\\)*\\u0000
{%- endmacro %}

{% macro duckdb__engagement_json_object(text_expr) -%}
    {#- Strings are blanked first, so that only the JSON syntax around them is checked. -#}
    {%- set syntax = "regexp_replace(trim(" ~ text_expr ~ "), '\"([^\"\\\\]|\\\\.)*\"', '\"\"', 'g')" -%}
    case
        when {{ text_expr }} is null or {{ engagement_trim(text_expr) }} = '' then '{}'
        when
            json_valid({{ text_expr }})
            and not regexp_matches({{ syntax }}, ',\s*[}\]]')
            and regexp_full_match({{ syntax }}, '[\s{}\[\],:0-9eE.+"-]*((true|false|null)[\s{}\[\],:0-9eE.+"-]*)*')
            and not regexp_matches({{ text_expr }}, {{ engagement_string_literal(engagement_json_nul_escape_pattern()) }})
            then case
                when
                    json_type({{ text_expr }}) = 'OBJECT'
                    and len(json_keys({{ text_expr }})) = len(list_distinct(json_keys({{ text_expr }})))
                    then {{ engagement_trim(text_expr) }}
            end
    end
{%- endmacro %}

{% macro postgres__engagement_json_object(text_expr) -%}
    case
        when {{ text_expr }} is null or {{ engagement_trim(text_expr) }} = '' then '{}'
        when jsonb_typeof({{ engagement_helper_function('engagement_try_jsonb') }}({{ text_expr }})) = 'object'
            then case
                {# json (unlike jsonb) keeps every copy of a name; the text is known to parse here #}
                when
                    (select count(*) from json_object_keys(cast({{ text_expr }} as json)))
                    = (select count(distinct json_key) from json_object_keys(cast({{ text_expr }} as json)) as json_key)
                    then {{ engagement_trim(text_expr) }}
            end
    end
{%- endmacro %}

{% macro spark__engagement_json_object(text_expr) -%}
    {#-
        Spark 4's variant parser validates JSON (get_json_object and from_json are lenient), but
        stops after the first value: '{"a": 1} junk' parses. Wrapped as [text,0], a text that is
        one value, and nothing after it, gives exactly [object, 0].
    -#}
    {%- set wrapped = "try_parse_json(concat('[', " ~ text_expr ~ ", ',0]'))" -%}
    case
        when {{ text_expr }} is null or {{ engagement_trim(text_expr) }} = '' then '{}'
        when
            schema_of_variant(variant_get({{ wrapped }}, '$[0]')) like 'OBJECT%'
            and variant_get({{ wrapped }}, '$[1]', 'int') = 0
            and variant_get({{ wrapped }}, '$[2]', 'int') is null
            and size(json_object_keys({{ text_expr }})) = size(array_distinct(json_object_keys({{ text_expr }})))
            and not {{ text_expr }} rlike {{ engagement_string_literal(engagement_json_nul_escape_pattern()) }}
            then {{ engagement_trim(text_expr) }}
    end
{%- endmacro %}
