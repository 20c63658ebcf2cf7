{#-
    Account health per account-level score model (entity: account) and calendar period: the
    account's own score from its signals, beside the roll-up of the user-level model it declares in
    rolls_up (users scored, their average and lowest normalized score, and how many are in the
    model's lowest band). One row per score_model, account_id and period_start.
-#}

with

scores as (

    select * from {{ ref('int_engagement_scores') }}
    where period_kind = 'calendar'

),

roll_ups as (

    {{ engagement_account_roll_ups_relation() }}

),

user_roll_up as (

    select
        roll_ups.score_model,
        roll_ups.user_score_model,
        scores.account_id,
        scores.period_start,
        scores.period_end,
        count(*) as users_scored,
        avg(scores.normalized_score) as avg_user_normalized_score,
        min(scores.normalized_score) as min_user_normalized_score,
        sum(case when scores.is_lowest_band then 1 else 0 end) as users_in_lowest_band
    from scores
    inner join roll_ups
        on scores.score_model = roll_ups.user_score_model
    where scores.account_id is not null
    group by
        roll_ups.score_model,
        roll_ups.user_score_model,
        scores.account_id,
        scores.period_start,
        scores.period_end

),

account_scores as (

    select scores.*
    from scores
    inner join roll_ups
        on scores.score_model = roll_ups.score_model

),

final as (

    select
        coalesce(account_scores.score_model, user_roll_up.score_model) as score_model,
        coalesce(account_scores.entity_id, user_roll_up.account_id) as account_id,
        coalesce(account_scores.period_start, user_roll_up.period_start) as period_start,
        coalesce(account_scores.period_end, user_roll_up.period_end) as period_end,
        account_scores.score,
        account_scores.max_score,
        account_scores.normalized_score,
        account_scores.band,
        coalesce(user_roll_up.user_score_model, roll_ups.user_score_model) as user_score_model,
        cast(coalesce(user_roll_up.users_scored, 0) as {{ dbt.type_bigint() }}) as users_scored,
        cast(user_roll_up.avg_user_normalized_score as decimal(5, 2)) as avg_user_normalized_score,
        user_roll_up.min_user_normalized_score,
        cast(coalesce(user_roll_up.users_in_lowest_band, 0) as {{ dbt.type_bigint() }}) as users_in_lowest_band,
        cast(
            case
                when user_roll_up.users_scored > 0
                    then 1.0 * user_roll_up.users_in_lowest_band / user_roll_up.users_scored
            end
            as decimal(5, 4)
        ) as share_in_lowest_band
    from account_scores
    full outer join user_roll_up
        on
            account_scores.score_model = user_roll_up.score_model
            and account_scores.entity_id = user_roll_up.account_id
            and account_scores.period_start = user_roll_up.period_start
    left join roll_ups
        on account_scores.score_model = roll_ups.score_model

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.score_model',
        'final.account_id',
        'final.period_start'
    ]) }} as account_engagement_key
from final
