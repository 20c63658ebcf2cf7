{#-
    The optional CRM accounts source, the six known columns as text (name and owner renamed
    account_name and account_owner) plus the whole row as JSON
    (`attributes`, so extra columns are kept whatever they are called). When no accounts source is
    configured it is empty, with the same columns, and the build goes on without account attributes.
-#}
{#- The source is this model's parent whether or not it is configured: the lineage (and the project's
    rules: no root model, no unused source) does not change with the vars. Nothing is rendered. -#}
{%- do source('crm', 'accounts') -%}
{%- if engagement_accounts_configured() -%}
    {%- do engagement_check_identifier(var('accounts_schema', 'raw'), "var 'accounts_schema'") -%}
    {%- if var('accounts_table', none) -%}
        {%- do engagement_check_identifier(var('accounts_table'), "var 'accounts_table'") -%}
    {%- endif -%}
    {%- if var('accounts_database', none) is not none -%}
        {%- do engagement_check_identifier(var('accounts_database'), "var 'accounts_database'", kind='database') -%}
    {%- endif %}
with

source as (

    select * from {{ source('crm', 'accounts') }}

),

final as (

    select
        cast(source.account_id as {{ dbt.type_string() }}) as account_id,
        cast(source.name as {{ dbt.type_string() }}) as account_name,
        cast(source.plan as {{ dbt.type_string() }}) as plan,
        cast(source.arr as {{ dbt.type_string() }}) as arr,
        cast(source.owner as {{ dbt.type_string() }}) as account_owner,
        cast(source.region as {{ dbt.type_string() }}) as region,
        {{ engagement_row_json('source') }} as attributes
    from source

)

-- the primary key: the raw account row: an md5 of its columns and its number among identical rows (a raw
-- input may repeat a row exactly); computed only when read (the keys' tests read it)
select
    final.*,
    {{ engagement_raw_row_key([
        'final.account_id',
        'final.account_name',
        'final.plan',
        'final.arr',
        'final.account_owner',
        'final.region',
        'final.attributes'
    ]) }} as account_row_key
from final
{%- else %}
with

no_source as (

    select 1 as placeholder

),

final as (

    select
        cast(null as {{ dbt.type_string() }}) as account_id,
        cast(null as {{ dbt.type_string() }}) as account_name,
        cast(null as {{ dbt.type_string() }}) as plan,
        cast(null as {{ dbt.type_string() }}) as arr,
        cast(null as {{ dbt.type_string() }}) as account_owner,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as attributes
    from no_source
    where 1 = 0

)

-- the primary key: the raw account row: an md5 of its columns and its number among identical rows (a raw
-- input may repeat a row exactly); computed only when read (the keys' tests read it)
select
    final.*,
    {{ engagement_raw_row_key([
        'final.account_id',
        'final.account_name',
        'final.plan',
        'final.arr',
        'final.account_owner',
        'final.region',
        'final.attributes'
    ]) }} as account_row_key
from final
{%- endif %}
