{# Parses ISO-8601 text (Z, +hh:mm, -hhmm or no zone = UTC; optional seconds and fraction) to a UTC timestamp; null when unparseable or impossible. #}
{% macro engagement_parse_timestamp_utc(text_expr) -%}
    {{ return(adapter.dispatch('engagement_parse_timestamp_utc', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{% macro engagement_iso_timestamp_pattern() -%}
    {#-
        Only possible timestamps match: month 01-12, the month's days (29 February in leap
        years only), hour 00-23, minute and second 00-59, zone up to 18:59. The rules are in
        the regex, so that every engine accepts exactly the same texts, and nothing is left to
        an engine's own leniency (PostgreSQL takes 24:00 and a leap second, and raises on
        2025-02-30 instead of returning null). Capture groups (DuckDB extracts at most 9):
        1 date, 2 hours and minutes, 3 seconds, 4 fraction, 5 zone sign, 6 zone hours, 7 zone minutes.
    -#}
    {%- set month_day = '(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31' -%}
    {%- set leap_year = '[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00' -%}
    {%- set date = '((?:[0-9]{4}-(?:' ~ month_day ~ '))|(?:(?:' ~ leap_year ~ ')-02-29))' -%}
    {%- set time = '((?:[01][0-9]|2[0-3]):[0-5][0-9])(?::([0-5][0-9])(?:[.]([0-9]{1,9}))?)?' -%}
    {%- set zone = '(?:[Zz]|([+-])(0[0-9]|1[0-8]):?([0-5][0-9]))?' -%}
    {{- return(date ~ '[Tt ]' ~ time ~ zone) -}}
{%- endmacro %}

{% macro default__engagement_parse_timestamp_utc(text_expr) -%}
    {#-
        One implementation for every engine, built from dispatched regex and date helpers. The
        text is validated by the regex, then cast (never failing), then moved by its zone offset.
        Year 0000 does not exist (PostgreSQL refuses it); fractions beyond microseconds are cut,
        not rounded.
    -#}
    {%- set pattern = engagement_iso_timestamp_pattern() -%}
    {%- set text = 'trim(' ~ text_expr ~ ')' -%}
    {%- set field = {} -%}
    {%- for name in ['date', 'time', 'second', 'fraction', 'zone_sign', 'zone_hours', 'zone_minutes'] -%}
        {%- do field.update({name: engagement_regexp_extract(text, '^' ~ pattern ~ '$', loop.index)}) -%}
    {%- endfor -%}
    {%- set timestamp_text = field['date'] ~ " || ' ' || " ~ field['time']
        ~ " || ':' || coalesce(" ~ field['second'] ~ ", '00')"
        ~ " || '.' || substr(coalesce(" ~ field['fraction'] ~ ", '') || '000000', 1, 6)" -%}
    {%- set offset_minutes = 'case ' ~ field['zone_sign'] ~ " when '-' then -1 else 1 end * ("
        ~ 'cast(coalesce(' ~ field['zone_hours'] ~ ", '0') as " ~ dbt.type_int() ~ ') * 60 + '
        ~ 'cast(coalesce(' ~ field['zone_minutes'] ~ ", '0') as " ~ dbt.type_int() ~ '))' -%}
    case
        when {{ engagement_regexp_matches(text, pattern) }} and {{ text }} not like '0000%'
            then {{ engagement_dateadd(
                'minute',
                '-1 * ' ~ offset_minutes,
                dbt.safe_cast(timestamp_text, api.Column.translate_type('timestamp'))
            ) }}
    end
{%- endmacro %}
