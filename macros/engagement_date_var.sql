{# Renders a date var (YYYY-MM-DD) as a SQL date literal, or none when the var is unset; refuses anything else before SQL is built, and an as_of_date after tomorrow (UTC). #}
{% macro engagement_date_var(var_name, default=none) -%}
    {%- set value = var(var_name, default) -%}
    {%- if value is none or (value | string | trim) in ('', 'none', 'None', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- set ns = namespace(valid=false) -%}
    {%- if modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {%- set year, month, day = text.split('-') | map('int') | list -%}
        {%- if 1 <= month <= 12 and day >= 1 -%}
            {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
            {%- set days_in_month = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] -%}
            {%- set ns.valid = year >= 1 and day <= days_in_month -%}
        {%- endif -%}
    {%- endif -%}
    {%- if not ns.valid -%}
        {{ exceptions.raise_compiler_error("var '" ~ var_name ~ "' must be a date written YYYY-MM-DD, got '" ~ text ~ "'") }}
    {%- endif -%}
    {#- the as-of date: not after tomorrow (UTC; a day's grace for the time zones ahead of it). A later one
        counted days that have not happened as inactive, and the append-only history kept its scores -#}
    {%- if var_name == 'as_of_date' -%}
        {%- set latest = (run_started_at + modules.datetime.timedelta(days=1)).strftime('%Y-%m-%d') -%}
        {%- if text > latest -%}
            {{ exceptions.raise_compiler_error("var 'as_of_date' must not be after tomorrow (" ~ latest ~ ", UTC), got '" ~ text ~ "': scores as of a later date count the days until then as inactive, and fct_engagement_score_history keeps them") }}
        {%- endif -%}
    {%- endif -%}
    {{ return("cast('" ~ text ~ "' as date)") }}
{%- endmacro %}
