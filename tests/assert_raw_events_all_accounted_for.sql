{#- Nothing lost: every raw row is either a clean event or a rejected row, exactly once. -#}
with

counts as (

    select
        (select count(*) from {{ ref('base_product__events') }}) as raw_rows,
        (select count(*) from {{ ref('fct_events') }}) as clean_rows,
        (select count(*) from {{ ref('rejected_events') }}) as rejected_rows

)

select * from counts
where raw_rows <> clean_rows + rejected_rows
