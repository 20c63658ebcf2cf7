{# SQL for on-run-start: creates the helper functions an engine needs (PostgreSQL 15: a JSON parse that returns null instead of raising); nothing elsewhere. #}
{% macro engagement_create_helpers() -%}
    {{ return(adapter.dispatch('engagement_create_helpers', 'engagement_scoring')()) }}
{%- endmacro %}

{% macro default__engagement_create_helpers() -%}
    {#- nothing to create: the other engines have safe parsing built in -#}
{%- endmacro %}

{% macro postgres__engagement_create_helpers() -%}
    {#-
        PostgreSQL 15 has no "is json" and no try-cast: an exception block is the only safe parse.
        Declared volatile on purpose: PostgreSQL then computes the CTEs that call it once per row
        instead of inlining them into every later reference (each exception block costs a
        subtransaction, and the staging CTEs reference the parsed properties many times over).
        Parallel unsafe: a subtransaction cannot start in a parallel worker.
    -#}
    create schema if not exists {{ adapter.quote(target.schema) }};
    create or replace function {{ engagement_helper_function('engagement_try_jsonb') }}(value text)
    returns jsonb
    language plpgsql volatile strict parallel unsafe
    as $body$
    begin
        return value::jsonb;
    exception when others then
        return null;
    end;
    $body$;
{%- endmacro %}
