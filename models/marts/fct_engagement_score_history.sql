{#-
    What the published scores said, run after run: append-only, never rewritten by a rebuild (not
    even --full-refresh; full_refresh is off for this model). Each build appends a row for every
    score (calendar periods and the trailing window) that is new, or whose score, normalized score,
    band or weights_version differs from the latest row recorded for it; an unchanged score adds
    nothing. So the score of a model, entity and period as it stood at a time T is its latest row
    recorded_at <= T, and weights_version says which rules produced it. Private models are left out
    unless the var engagement__expose_private_scores allows them.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='append_new_columns',
    post_hook=[
        "{% if target.type == 'spark' %}select 1{% else %}"
        ~ "update {{ this }} set history_key = {{ engagement_surrogate_key(["
        ~ "'score_model', 'entity_id', 'period_kind', 'period_start', 'recorded_at']) }} "
        ~ "where history_key is null{% endif %}"
    ]
) }}
{#- history_key came with a later release than the history: the columns are appended to a history
    recorded before (append_new_columns), and the hook gives its old rows their key (DuckDB and
    PostgreSQL; Spark's Parquet tables cannot update: README "Project rules"). -#}

with

scores as (

    select * from {{ ref('int_engagement_score_changes') }}
    where {{ engagement_exposed('score_model') }}

),

{% if is_incremental() -%}
recorded as (

    select
        score_model,
        entity_id,
        period_kind,
        period_start,
        score,
        normalized_score,
        band,
        weights_version,
        row_number() over (
            partition by score_model, entity_id, period_kind, period_start
            order by recorded_at desc
        ) as recency
    from {{ this }}

),

latest_recorded as (

    select * from recorded
    where recency = 1

),

{% endif -%}
changed as (

    select scores.*
    from scores
    {%- if is_incremental() %}
    left join latest_recorded
        on
            scores.score_model = latest_recorded.score_model
            and scores.entity_id = latest_recorded.entity_id
            and scores.period_kind = latest_recorded.period_kind
            and scores.period_start = latest_recorded.period_start
    where
        latest_recorded.score_model is null
        or scores.score <> latest_recorded.score
        or scores.normalized_score <> latest_recorded.normalized_score
        or coalesce(scores.band, '<none>') <> coalesce(latest_recorded.band, '<none>')
        or coalesce(scores.weights_version, '<none>') <> coalesce(latest_recorded.weights_version, '<none>')
    {%- endif %}

),

final as (

    select
        cast({{ engagement_string_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S')) }} as timestamp)
            as recorded_at,
        score_model,
        entity_type,
        entity_id,
        account_id,
        period_kind,
        period_type,
        period_start,
        period_end,
        as_of_date,
        score,
        max_score,
        normalized_score,
        band,
        weights_version
    from changed

)

-- the primary key: one column for the grain (the columns below)
select
    final.*,
    {{ engagement_surrogate_key([
        'final.score_model',
        'final.entity_id',
        'final.period_kind',
        'final.period_start',
        'final.recorded_at'
    ]) }} as history_key
from final
