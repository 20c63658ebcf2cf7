{{ config(tags=['volume_guard']) }}
{#-
    Volume guard: when more than var engagement__max_rejected_share of the raw rows are rejected,
    the feed changed shape (a new timestamp format, typed columns) rather than got a few bad rows;
    the scores of what is left would be wrong, so nothing is published.
-#}
{%- set maximum = engagement_share_var('engagement__max_rejected_share', 0.5) -%}
with

counts as (

    select
        (select count(*) from {{ ref('base_product__events') }}) as raw_rows,
        (select count(*) from {{ ref('rejected_events') }}) as rejected_rows

),

shares as (

    select
        rejected_rows,
        raw_rows,
        cast(rejected_rows as {{ engagement_type_double() }}) / raw_rows as rejected_share,
        {#- a decimal, for a percent written alike on every engine (PostgreSQL cannot round a double) -#}
        round(cast(rejected_rows as decimal(38, 6)) * 100 / raw_rows, 1) as rejected_percent
    from counts
    where raw_rows > 0

),

final as (

    select
        rejected_share as figure,
        {{ maximum }} as threshold,
        {{ dbt.concat([
            "'rejected share: '",
            "cast(rejected_rows as " ~ dbt.type_string() ~ ")",
            "' of '",
            "cast(raw_rows as " ~ dbt.type_string() ~ ")",
            "' raw rows ('",
            "cast(cast(rejected_percent as decimal(4, 1)) as " ~ dbt.type_string() ~ ")",
            "'%) rejected, above the maximum of " ~ maximum ~ " (var engagement__max_rejected_share)'",
        ]) }} as problem
    from shares
    where rejected_share > {{ maximum }}

)

select * from final
