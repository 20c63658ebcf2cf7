{#-
    How an account's users spread over the bands of the user-level model its account model rolls
    up: one row per account-level score_model, account_id, period_start and band that has users.
-#}

with

scores as (

    select * from {{ ref('int_engagement_scores') }}
    where period_kind = 'calendar' and account_id is not null

),

roll_ups as (

    {{ engagement_account_roll_ups_relation() }}

),

per_band as (

    select
        roll_ups.score_model,
        roll_ups.user_score_model,
        scores.account_id,
        scores.period_start,
        scores.band,
        scores.band_order,
        count(*) as users_in_band
    from scores
    inner join roll_ups
        on scores.score_model = roll_ups.user_score_model
    group by
        roll_ups.score_model,
        roll_ups.user_score_model,
        scores.account_id,
        scores.period_start,
        scores.band,
        scores.band_order

),

final as (

    select
        score_model,
        user_score_model,
        account_id,
        period_start,
        band,
        cast(band_order as {{ dbt.type_int() }}) as band_order,
        cast(users_in_band as {{ dbt.type_bigint() }}) as users_in_band,
        cast(
            1.0 * users_in_band / sum(users_in_band) over (partition by score_model, account_id, period_start)
            as decimal(5, 4)
        ) as share_of_users
    from per_band

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.score_model',
        'final.account_id',
        'final.period_start',
        'final.band'
    ]) }} as band_mix_key
from final
