{#-
    The outcomes source, every column as text, or an empty relation of the same columns when no
    outcomes are configured (neither var outcomes_path nor outcomes_table), so that the review
    marts build empty rather than fail. The vars that name the table are checked at parse time,
    like the events source's.
-#}
{#- The source is this model's parent whether or not it is configured: the lineage (and the project's
    rules: no root model, no unused source) does not change with the vars. Nothing is rendered. -#}
{%- do source('outcomes', 'outcomes') -%}
{%- set has_outcomes = (var('outcomes_path', '') and target.type == 'duckdb') or var('outcomes_table', none) -%}
{%- do engagement_check_identifier(var('outcomes_schema', 'raw'), "var 'outcomes_schema'") -%}
{%- if var('outcomes_table', none) is not none -%}
    {%- do engagement_check_identifier(var('outcomes_table'), "var 'outcomes_table'") -%}
{%- endif -%}
{%- if var('outcomes_database', none) is not none -%}
    {%- do engagement_check_identifier(var('outcomes_database'), "var 'outcomes_database'", kind='database') -%}
{%- endif %}
with

{% if has_outcomes -%}
source as (

    select * from {{ source('outcomes', 'outcomes') }}

),
{%- else -%}
source as (

    -- no outcomes configured: no rows, the same columns
    select
        cast(null as {{ dbt.type_string() }}) as entity_id,
        cast(null as {{ dbt.type_string() }}) as score_model,
        cast(null as {{ dbt.type_string() }}) as entity_type,
        cast(null as {{ dbt.type_string() }}) as outcome,
        cast(null as {{ dbt.type_string() }}) as occurred_at
    where 1 = 0

),
{%- endif %}

final as (

    select
        cast(entity_id as {{ dbt.type_string() }}) as entity_id,
        cast(score_model as {{ dbt.type_string() }}) as score_model,
        cast(entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(outcome as {{ dbt.type_string() }}) as outcome,
        cast(occurred_at as {{ dbt.type_string() }}) as occurred_at
    from source

)

-- the primary key: the raw outcome row: an md5 of its columns and its number among identical rows (a raw
-- input may repeat a row exactly); computed only when read (the keys' tests read it)
select
    final.*,
    {{ engagement_raw_row_key([
        'final.entity_id',
        'final.score_model',
        'final.entity_type',
        'final.outcome',
        'final.occurred_at'
    ]) }} as outcome_row_key
from final
