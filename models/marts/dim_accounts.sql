{#-
    One row per account: every account of the CRM source (when configured) and every account_id the
    clean events name, with the CRM's attributes (null for accounts the CRM does not know, and for
    all of them when no accounts source is configured).
-#}
with

crm_accounts as (

    select * from {{ ref('int_accounts_deduplicated') }}
    where reject_reason is null

),

events as (

    select * from {{ ref('int_events_clean') }}

),

event_accounts as (

    select
        account_id,
        min(occurred_on) as first_event_on,
        max(occurred_on) as last_event_on
    from events
    where account_id is not null
    group by account_id

),

account_ids as (

    select account_id from crm_accounts
    union
    select account_id from event_accounts

),

final as (

    select
        account_ids.account_id,
        crm_accounts.account_name,
        crm_accounts.plan,
        cast(crm_accounts.arr as {{ engagement_type_double() }}) as arr,
        crm_accounts.account_owner,
        crm_accounts.region,
        crm_accounts.attributes,
        crm_accounts.account_id is not null as is_in_crm,
        event_accounts.first_event_on,
        event_accounts.last_event_on
    from account_ids
    left join crm_accounts on account_ids.account_id = crm_accounts.account_id
    left join event_accounts on account_ids.account_id = event_accounts.account_id

)

select * from final
