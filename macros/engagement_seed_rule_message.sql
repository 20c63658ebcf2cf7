{# A seed rule's message (seeds/_seeds.yml, engagement_seed_rules) as an SQL text expression, each {column} in it replaced by the row's value. #}
{% macro engagement_seed_rule_message(message) -%}
    {%- set pieces = [] -%}
    {%- for part in message.split('{') -%}
        {%- if loop.first -%}
            {%- do pieces.append(engagement_string_literal(part)) -%}
        {%- else -%}
            {%- set name_and_rest = part.split('}', 1) -%}
            {%- do pieces.append("coalesce(cast(" ~ name_and_rest[0] ~ " as " ~ dbt.type_string() ~ "), '')") -%}
            {%- do pieces.append(engagement_string_literal(name_and_rest[1])) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ pieces | join(' || ') }}
{%- endmacro %}
