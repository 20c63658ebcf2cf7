{# Parses ISO-8601 text (Z, +hh:mm, -hhmm or no zone = UTC; optional seconds and fraction) to a UTC timestamp; null when unparseable or impossible. #}
{% macro engagement_parse_timestamp_utc(text_expr) -%}
    {{ return(adapter.dispatch('engagement_parse_timestamp_utc', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{% macro engagement_iso_timestamp_pattern() -%}
    {#- groups: 1 date, 2 time (hour 00-23: no 24:00), 5 zone sign, 6 zone hours, 7 zone minutes -#}
    ^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]((?:[01][0-9]|2[0-3]):[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)(?:[Zz]|([+-])([0-9]{2}):?([0-9]{2}))?$
{%- endmacro %}

{% macro duckdb__engagement_parse_timestamp_utc(text_expr) -%}
    {#- One regexp_extract gives every group as a struct field. The same call repeated is evaluated
        once (DuckDB's common subexpressions), where a call per group ran the regex up to 8 times a
        value: this parse was most of the scoring path's time (docs/benchmarks.md). -#}
    {%- set parts = "regexp_extract(" ~ engagement_trim(text_expr) ~ ", '" ~ engagement_iso_timestamp_pattern()
        ~ "', ['date', 'time', 'seconds', 'fraction', 'zone_sign', 'zone_hours', 'zone_minutes'])" -%}
    case
        when
            {{ parts }}.date <> ''
            and coalesce(try_cast(nullif({{ parts }}.zone_hours, '') as integer), 0) <= 18
            and coalesce(try_cast(nullif({{ parts }}.zone_minutes, '') as integer), 0) <= 59
            then try_cast({{ parts }}.date || ' ' || {{ parts }}.time as timestamp)
            - to_minutes(
                case {{ parts }}.zone_sign
                    when '+' then 1
                    when '-' then -1
                    else 0
                end
                * (
                    coalesce(try_cast(nullif({{ parts }}.zone_hours, '') as integer), 0) * 60
                    + coalesce(try_cast(nullif({{ parts }}.zone_minutes, '') as integer), 0)
                )
            )
    end
{%- endmacro %}
