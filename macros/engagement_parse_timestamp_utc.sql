{# Parses ISO-8601 text (Z, +hh:mm, -hhmm, +hh or no zone = UTC; optional seconds and fraction) to a UTC timestamp; null when unparseable or impossible. #}
{% macro engagement_parse_timestamp_utc(text_expr) -%}
    {{ return(adapter.dispatch('engagement_parse_timestamp_utc', 'engagement_scoring')(text_expr)) }}
{%- endmacro %}

{% macro engagement_iso_timestamp_pattern() -%}
    {#-
        Only possible timestamps match: month 01-12, the month's days (29 February in leap
        years only), hour 00-23, minute and second 00-59, zone offsets up to 18:00 either way
        (ISO-8601 practice, and the bound of Java's and .NET's offset types), written +hh:mm, +hhmm
        or +hh (the text DuckDB and PostgreSQL give a TIMESTAMPTZ cast to text). The rules are in
        the regex, so that every engine accepts exactly the same texts, and nothing is left to
        an engine's own leniency (PostgreSQL takes 24:00 and a leap second, and raises on
        2025-02-30 instead of returning null).
    -#}
    {%- set month_day = '(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31' -%}
    {%- set leap_year = '[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00' -%}
    {%- set date = '(?:[0-9]{4}-(?:' ~ month_day ~ ')|(?:' ~ leap_year ~ ')-02-29)' -%}
    {%- set time = '(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{1,9})?)?' -%}
    {%- set zone = '(?:[Zz]|[+-](?:(?:0[0-9]|1[0-7])(?::?[0-5][0-9])?|18(?::?00)?))?' -%}
    {{- return(date ~ '[Tt ]' ~ time ~ zone) -}}
{%- endmacro %}

{% macro default__engagement_parse_timestamp_utc(text_expr) -%}
    {#-
        One implementation for every engine, built from dispatched helpers. The regex validates the
        text; the fields are then cut out by position (regex capture groups are slow in
        PostgreSQL), the text is cast (never failing now) and moved by its zone offset. Year 0000
        does not exist (PostgreSQL refuses it); fractions beyond microseconds are cut, not rounded.
        Layout of a valid text: YYYY-MM-DD (1-10), T (11), hh:mm (12-16), then optionally :ss
        (17-19) and .fraction (from 20), then Z, +hh:mm, -hhmm, +hh or nothing. A valid text's time
        ends in :mm, :ss or fraction digits, so a sign and two digits at its end can only be a zone.
    -#}
    {%- set text = engagement_trim(text_expr) -%}
    {%- set length = 'length(' ~ text ~ ')' -%}
    {%- set zone_length -%}
        case
            when {{ engagement_regexp_matches(text, '.*[+-][0-9]{2}:?[0-9]{2}') }}
                then case when substr({{ text }}, {{ length }} - 2, 1) = ':' then 6 else 5 end
            when {{ engagement_regexp_matches(text, '.*[+-][0-9]{2}') }} then 3
            when substr({{ text }}, {{ length }}, 1) in ('Z', 'z') then 1
            else 0
        end
    {%- endset -%}
    {%- set zone_start = '(' ~ length ~ ' - (' ~ zone_length ~ ') + 1)' -%}
    {%- set timestamp_text -%}
        substr({{ text }}, 1, 10) || ' ' || substr({{ text }}, 12, 5)
        || ':' || case when substr({{ text }}, 17, 1) = ':' then substr({{ text }}, 18, 2) else '00' end
        || '.' || substr(
            case
                when substr({{ text }}, 20, 1) = '.' then substr({{ text }}, 21, {{ zone_start }} - 21)
                else ''
            end || '000000', 1, 6
        )
    {%- endset -%}
    {%- set offset_minutes -%}
        case
            when ({{ zone_length }}) >= 3
                then case substr({{ text }}, {{ zone_start }}, 1) when '-' then -1 else 1 end * (
                    cast(substr({{ text }}, {{ zone_start }} + 1, 2) as {{ dbt.type_int() }}) * 60
                    + case
                        when ({{ zone_length }}) >= 5 then cast(substr({{ text }}, {{ length }} - 1, 2) as {{ dbt.type_int() }})
                        else 0
                    end
                )
            else 0
        end
    {%- endset -%}
    case
        when {{ engagement_regexp_matches(text, engagement_iso_timestamp_pattern()) }} and {{ text }} not like '0000%'
            then {{ engagement_dateadd(
                'minute',
                '-1 * ' ~ offset_minutes,
                dbt.safe_cast(timestamp_text, api.Column.translate_type('timestamp'))
            ) }}
    end
{%- endmacro %}

{% macro duckdb__engagement_parse_timestamp_utc(text_expr) -%}
    {#-
        The same regex decides which texts are timestamps; DuckDB's own casts then read them,
        about twice as fast as cutting the fields out (the result is the same: fractions beyond
        microseconds are cut, a text with a zone is moved to UTC whatever the session's
        TimeZone, a text without one is UTC as it stands). The casts want T and Z in capitals.
    -#}
    {%- set text = engagement_trim(text_expr) -%}
    case
        {# The two shapes nearly every loader and tracker writes, YYYY-MM-DDThh:mm:ssZ and
            YYYY-MM-DDThh:mm:ss.fffZ (JavaScript's toISOString), read by strptime: the general regex
            below costs more than the rest of the parse (10M loaded_at texts: 2.5 s against 1.2-1.6 s
            on 2 threads). strptime checks the month's days (leap years included), hours to 23 and
            minutes and seconds to 59, exactly as that regex does (tests/python/test_timestamp_parse.py
            compares both with the Python reference); it would take a space or a sign for a digit, and
            year 0000, which the shape's own regex and the year test leave to the general rule. #}
        when
            length({{ text }}) = 20
            and {{ engagement_regexp_matches(text, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z') }}
            and {{ text }} not like '0000%'
            then try_strptime({{ text }}, '%Y-%m-%dT%H:%M:%SZ')
        when
            length({{ text }}) = 24
            and {{ engagement_regexp_matches(text, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z') }}
            and {{ text }} not like '0000%'
            then try_strptime({{ text }}, '%Y-%m-%dT%H:%M:%S.%gZ')
        when {{ engagement_regexp_matches(text, engagement_iso_timestamp_pattern()) }} and {{ text }} not like '0000%'
            then case
                when {{ engagement_regexp_matches(text, '.*(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)') }}
                    then timezone('UTC', try_cast(upper({{ text }}) as timestamptz))
                else try_cast(upper({{ text }}) as timestamp)
            end
    end
{%- endmacro %}
