{#-
    The AUC of each signal's measure, and of the total score (signal '(score)'), against each
    outcome: the chance that an observation with the outcome has a higher value than one without,
    ties counting one half (the Mann-Whitney U statistic over n_with x n_without). Rank-based, with
    tied values given their average rank: the observations are grouped by value, each value's
    average rank is the count of lower values plus (its count + 1) / 2, and
    AUC = (sum of the ranks of observations with the outcome - n_with (n_with + 1) / 2) / (n_with x n_without).
    0.5: no better than chance; above: higher values go with the outcome; below: lower values do.
    Observations whose measure is null (no value to rank) are left out and counted apart. Null
    when either side is empty.
-#}
with

observations as (

    select * from {{ ref('int_engagement_outcome_observations') }}

),

value_counts as (

    select
        score_model,
        outcome,
        signal,
        measure_value,
        count(*) as observations,
        sum(case when had_outcome then 1 else 0 end) as observations_with_outcome
    from observations
    where measure_value is not null
    group by score_model, outcome, signal, measure_value

),

ranked as (

    select
        value_counts.*,
        coalesce(
            sum(value_counts.observations) over (
                partition by value_counts.score_model, value_counts.outcome, value_counts.signal
                order by value_counts.measure_value
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) + (value_counts.observations + 1) / 2.0 as average_rank
    from value_counts

),

rank_sums as (

    select
        score_model,
        outcome,
        signal,
        cast(sum(observations) as {{ dbt.type_bigint() }}) as ranked_observations,
        cast(sum(observations_with_outcome) as {{ dbt.type_bigint() }}) as ranked_with_outcome,
        sum(cast(observations_with_outcome as {{ engagement_type_double() }}) * average_rank) as rank_sum_with_outcome
    from ranked
    group by score_model, outcome, signal

),

null_counts as (

    select
        score_model,
        outcome,
        signal,
        cast(sum(case when measure_value is null then 1 else 0 end) as {{ dbt.type_bigint() }}) as null_measures
    from observations
    group by score_model, outcome, signal

),

final as (

    select
        null_counts.score_model,
        null_counts.outcome,
        null_counts.signal,
        coalesce(rank_sums.ranked_observations, 0) as ranked_observations,
        coalesce(rank_sums.ranked_with_outcome, 0) as ranked_with_outcome,
        null_counts.null_measures,
        case
            when rank_sums.ranked_with_outcome > 0 and rank_sums.ranked_with_outcome < rank_sums.ranked_observations
                then cast(round(cast(
                    (
                        rank_sums.rank_sum_with_outcome
                        - rank_sums.ranked_with_outcome * (rank_sums.ranked_with_outcome + 1) / 2.0
                    )
                    / (
                        cast(rank_sums.ranked_with_outcome as {{ engagement_type_double() }})
                        * (rank_sums.ranked_observations - rank_sums.ranked_with_outcome)
                    )
                    as decimal(18, 8)
                ), 4) as decimal(6, 4))
        end as auc
    from null_counts
    left join rank_sums
        on
            null_counts.score_model = rank_sums.score_model
            and null_counts.outcome = rank_sums.outcome
            and null_counts.signal = rank_sums.signal

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.score_model',
        'final.outcome',
        'final.signal'
    ]) }} as auc_key
from final
