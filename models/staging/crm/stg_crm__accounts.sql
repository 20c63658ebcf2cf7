{#-
    Every CRM account row, nothing dropped: the raw text (raw_*), each field trimmed and parsed, and
    `reject_reason`, the first row-level reason the row cannot be used (null when it can).
    Duplicate account_ids are decided downstream in int_accounts_deduplicated.
-#}
with

accounts as (

    select * from {{ ref('base_crm__accounts') }}

),

trimmed as (

    select
        account_id as raw_account_id,
        account_name as raw_name,
        plan as raw_plan,
        arr as raw_arr,
        account_owner as raw_owner,
        region as raw_region,
        attributes,
        nullif({{ engagement_trim('account_id') }}, '') as account_id,
        nullif({{ engagement_trim('account_name') }}, '') as account_name,
        nullif({{ engagement_trim('plan') }}, '') as plan,
        nullif({{ engagement_trim('arr') }}, '') as arr_text,
        nullif({{ engagement_trim('account_owner') }}, '') as account_owner,
        nullif({{ engagement_trim('region') }}, '') as region
    from accounts

),

parsed as (

    select
        *,
        {{ engagement_safe_to_number('arr_text') }} as arr
    from trimmed

),

final as (

    select
        raw_account_id,
        raw_name,
        raw_plan,
        raw_arr,
        raw_owner,
        raw_region,
        attributes,
        account_id,
        account_name,
        plan,
        arr,
        account_owner,
        region,
        case
            when account_id is null then 'missing_account_id'
            when arr_text is not null and (arr is null or arr < 0) then 'invalid_arr'
        end as reject_reason
    from parsed

)

-- the primary key: the raw account row: an md5 of its columns and its number among identical rows (a raw
-- input may repeat a row exactly); computed only when read (the keys' tests read it)
select
    final.*,
    {{ engagement_raw_row_key([
        'final.raw_account_id',
        'final.raw_name',
        'final.raw_plan',
        'final.raw_arr',
        'final.raw_owner',
        'final.raw_region',
        'final.attributes'
    ]) }} as account_row_key
from final
