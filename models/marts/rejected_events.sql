{#-
    The former name of fct_rejected_events, kept so that jobs reading it keep working: the same
    rows and columns. A table, not a view: Spark's publish moves tables only (README "Operating
    it"), and the rejected rows are few.
-#}

select * from {{ ref('fct_rejected_events') }}
