{#-
    One row per raw event row, nothing dropped: raw text kept, every field parsed and
    normalized, and the first row-level reason (if any) the row cannot be used. The JSON
    properties any score model reads are parsed here, once per distinct properties text, into
    property__<name> columns (text, trimmed of ASCII whitespace): nothing downstream parses JSON.
    Duplicates are decided downstream, in int_events_deduplicated.
    The SQL is the macro engagement_stage_events, so that an incremental run of
    int_events_deduplicated parses its new rows alone with exactly the same rules.
-#}
{{ engagement_stage_events(ref('base_product__events')) }}
