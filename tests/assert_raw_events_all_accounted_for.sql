{#-
    Nothing lost: every raw row is either a clean event or a rejected row, exactly once. After an
    incremental run this also catches raw rows that no run read: loaded (stamped) earlier than the
    watermark minus var engagement__lookback_hours, or rows removed from the source.
-#}
with

counts as (

    select
        (select count(*) from {{ ref('base_product__events') }}) as raw_rows,
        (select count(*) from {{ ref('fct_events') }}) as clean_rows,
        (select count(*) from {{ ref('rejected_events') }}) as rejected_rows

),

final as (

    select
        raw_rows,
        clean_rows,
        rejected_rows,
        {{ dbt.concat([
            "cast(raw_rows as " ~ dbt.type_string() ~ ")",
            "' raw rows, but '",
            "cast(clean_rows as " ~ dbt.type_string() ~ ")",
            "' clean and '",
            "cast(rejected_rows as " ~ dbt.type_string() ~ ")",
            "' rejected: rows stamped before the watermark of the last run minus var engagement__lookback_hours "
            ~ "were loaded late, or rows left the source; run with --full-refresh (or raise the var)'",
        ]) }} as problem
    from counts
    where raw_rows <> clean_rows + rejected_rows

)

select * from final
