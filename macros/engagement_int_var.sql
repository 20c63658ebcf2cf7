{# Renders a whole-number var as a SQL literal; refuses anything else before SQL is built. #}
{% macro engagement_int_var(var_name, default) -%}
    {%- set text = var(var_name, default) | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]{1,9}', text) -%}
        {{ exceptions.raise_compiler_error("var '" ~ var_name ~ "' must be a whole number >= 0, got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}
