{{ config(tags=['volume_guard']) }}
{#-
    Volume guard: an as_of_date before every clean event leaves no entity-month to score (events
    after as_of_date are ignored), which is a mistyped date, not an empty month.
-#}
{%- set as_of_literal = engagement_date_var('as_of_date') -%}
{%- if as_of_literal is none %}
{#- unset: scores are as of the latest clean event, which can never precede the events -#}
select 1 as figure
where 1 = 0
{%- else %}
with

bounds as (

    select min(occurred_on) as first_event_on from {{ ref('fct_events') }}

),

final as (

    select
        {{ as_of_literal }} as figure,
        first_event_on as threshold,
        {{ dbt.concat([
            "'as_of_date: " ~ var('as_of_date') | string | trim ~ " precedes the first clean event, on '",
            "cast(first_event_on as " ~ dbt.type_string() ~ ")",
        ]) }} as problem
    from bounds
    where {{ as_of_literal }} < first_event_on

)

select * from final
{%- endif %}
