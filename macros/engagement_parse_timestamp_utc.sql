{# Parses ISO-8601 text (Z, +hh:mm, -hhmm or no zone = UTC; optional seconds and fraction) to a UTC timestamp; null when unparseable or impossible. #}
{% macro engagement_parse_timestamp_utc(text_expr) -%}
    {{ return(adapter.dispatch('engagement_parse_timestamp_utc', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{% macro engagement_iso_timestamp_pattern() -%}
    {#- groups: 1 date, 2 time (hour 00-23: no 24:00), 5 zone sign, 6 zone hours, 7 zone minutes -#}
    ^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]((?:[01][0-9]|2[0-3]):[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)(?:[Zz]|([+-])([0-9]{2}):?([0-9]{2}))?$
{%- endmacro %}

{% macro duckdb__engagement_parse_timestamp_utc(text_expr) -%}
    {%- set pattern = engagement_iso_timestamp_pattern() -%}
    {%- set text = engagement_trim(text_expr) -%}
    case
        when
            regexp_full_match({{ text }}, '{{ pattern }}')
            and coalesce(try_cast(nullif(regexp_extract({{ text }}, '{{ pattern }}', 6), '') as integer), 0) <= 18
            and coalesce(try_cast(nullif(regexp_extract({{ text }}, '{{ pattern }}', 7), '') as integer), 0) <= 59
            then try_cast(
                regexp_extract({{ text }}, '{{ pattern }}', 1) || ' ' || regexp_extract({{ text }}, '{{ pattern }}', 2)
                as timestamp
            )
            - to_minutes(
                case regexp_extract({{ text }}, '{{ pattern }}', 5)
                    when '+' then 1
                    when '-' then -1
                    else 0
                end
                * (
                    coalesce(try_cast(nullif(regexp_extract({{ text }}, '{{ pattern }}', 6), '') as integer), 0) * 60
                    + coalesce(try_cast(nullif(regexp_extract({{ text }}, '{{ pattern }}', 7), '') as integer), 0)
                )
            )
    end
{%- endmacro %}
