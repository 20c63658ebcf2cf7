{#-
    The former name of fct_rejected_events, kept so that jobs reading it keep working: a view of
    it, with the same rows and columns.
-#}
{{ config(materialized='view') }}

select * from {{ ref('fct_rejected_events') }}
