{# Renders a share var (a number from 0 to 1, such as 0.5) as a SQL literal; refuses anything else before SQL is built. #}
{% macro engagement_share_var(var_name, default) -%}
    {%- set text = var(var_name, default) | string | trim -%}
    {%- if not modules.re.fullmatch('(0(\.[0-9]{1,6})?|1(\.0{1,6})?|\.[0-9]{1,6})', text) -%}
        {{ exceptions.raise_compiler_error("var '" ~ var_name ~ "' must be a share from 0 to 1 such as 0.5, got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}
