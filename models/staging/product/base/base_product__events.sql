{#-
    The raw events source, every column as text, whatever the file or table typed them as:
    the input contract is text, and parsing belongs to stg_product__events. Kept as its own
    view so that unit tests can give rows for it on any engine.
    The vars that name the source table become identifiers: they are checked here, at parse
    time, before any SQL is built (dbt quotes names but does not escape a quote inside them).
-#}
{%- do engagement_check_identifier(var('events_schema', 'raw'), "var 'events_schema'") -%}
{%- do engagement_check_identifier(var('events_table', 'events'), "var 'events_table'") -%}
{%- if var('events_database', none) is not none -%}
    {%- do engagement_check_identifier(var('events_database'), "var 'events_database'", kind='database') -%}
{%- endif %}
with

source as (

    select * from {{ source('product', 'events') }}

),

final as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(occurred_at as {{ dbt.type_string() }}) as occurred_at,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(event_type as {{ dbt.type_string() }}) as event_type,
        cast(properties as {{ dbt.type_string() }}) as properties,
        cast(loaded_at as {{ dbt.type_string() }}) as loaded_at
    from source

)

-- the primary key: the raw event row: an md5 of its columns and its number among identical rows (a raw
-- input may repeat a row exactly); computed only when read (the keys' tests read it)
select
    final.*,
    {{ engagement_raw_row_key([
        'final.event_id',
        'final.occurred_at',
        'final.user_id',
        'final.account_id',
        'final.event_type',
        'final.properties',
        'final.loaded_at'
    ]) }} as raw_event_key
from final
