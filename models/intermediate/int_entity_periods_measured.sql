{#-
    The measures of every entity and month, as of the month's effective_end, for the score model
    named by the var score_model. The SQL is generated from the model's declaration
    (score_models/<name>.yml -> macros/generated/engagement_measures__<name>.sql): one pass over
    the events for the in-month measures, and window functions that carry "as of" state (days
    inactive, latest values, open items) forward over the months.
-#}
{{ engagement_measures_sql(engagement_score_model()) }}
