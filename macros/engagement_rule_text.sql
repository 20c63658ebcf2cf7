{# One seed row as text for a rules hash: a prefix naming the seed, then each column as text with
   nulls as '<null>', joined with '|'. #}
{% macro engagement_rule_text(prefix, columns) -%}
    {%- set parts = [engagement_string_literal(prefix)] -%}
    {%- for column in columns -%}
        {%- do parts.append("'|'") -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')") -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
