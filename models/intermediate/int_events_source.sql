{#-
    Which raw events this build read: the source vars, one row. `engagement.py run` compares the
    published build's row with the next run's and rebuilds the incremental events layer in full when
    the source changed (another file is not new rows of the same feed: rows of the old file that the
    new one lacks must not linger).
-#}
with

final as (

    select
        cast({{ engagement_string_literal(var('events_path', '') or '') }} as {{ dbt.type_string() }})
            as events_path,
        cast({{ engagement_string_literal(var('events_database', '') or '') }} as {{ dbt.type_string() }})
            as events_database,
        cast({{ engagement_string_literal(var('events_schema', '') or '') }} as {{ dbt.type_string() }})
            as events_schema,
        cast({{ engagement_string_literal(var('events_table', '') or '') }} as {{ dbt.type_string() }}) as events_table

)

select * from final
