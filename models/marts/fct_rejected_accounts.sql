{#- CRM account rows that cannot be used, exactly as they arrived, each with the first reason found. -#}
with

accounts as (

    select * from {{ ref('int_accounts_deduplicated') }}

),

final as (

    select
        raw_account_id as account_id,
        raw_name as account_name,
        raw_plan as plan,
        raw_arr as arr,
        raw_owner as account_owner,
        raw_region as region,
        attributes,
        reject_reason,
        -- the primary key: the raw row's key in int_accounts_deduplicated
        account_row_key
    from accounts
    where reject_reason is not null

)

select * from final
