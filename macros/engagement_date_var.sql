{# Renders a date var (YYYY-MM-DD) as a SQL date literal, or none when the var is unset; refuses anything else before SQL is built. #}
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
    {{ return("cast('" ~ text ~ "' as date)") }}
{%- endmacro %}
