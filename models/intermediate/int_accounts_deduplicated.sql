{#-
    Every CRM account row with its final `reject_reason`: the staging reasons, plus
    `duplicate_account_id` for all but one row of an account_id among rows otherwise valid. The row
    kept is decided by the row's content (the last in order of its JSON text, then its fields), so the result never
    depends on row order. The one table dim_accounts and fct_rejected_accounts are cut from.
-#}
with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

ranked as (

    select
        *,
        case
            when reject_reason is null
                then row_number() over (
                    partition by account_id, reject_reason
                    order by
                        attributes desc, raw_name desc, raw_plan desc, raw_arr desc, raw_owner desc, raw_region desc
                )
        end as copy_number
    from accounts

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
            when reject_reason is not null then reject_reason
            when copy_number > 1 then 'duplicate_account_id'
        end as reject_reason,
        -- the primary key: the raw account row's, as stg_crm__accounts computes it (one row each here)
        account_row_key
    from ranked

)

select * from final
