{#- Nothing lost: every CRM account row is either an account of dim_accounts or a rejected row, exactly once. -#}
with

crm_accounts as (

    select account_id from {{ ref('dim_accounts') }}
    where is_in_crm

),

counts as (

    select
        (select count(*) from {{ ref('base_crm__accounts') }}) as raw_rows,
        (select count(*) from crm_accounts) as crm_accounts,
        (select count(*) from {{ ref('fct_rejected_accounts') }}) as rejected_rows

)

select * from counts
where raw_rows <> crm_accounts + rejected_rows
