{#-
    One row per raw event row, nothing dropped: raw text kept, every field parsed and
    normalized, and the first row-level reason (if any) the row cannot be used. The JSON
    properties any score model reads are parsed here, once per distinct properties text, into
    property__<name> columns (text, trimmed of ASCII whitespace): nothing downstream parses JSON.
    Duplicates are decided downstream, in int_events_deduplicated.
    The SQL is the macro engagement_stage_events, which int_events_deduplicated also runs on the raw
    rows it decides (the new rows of an incremental run; on a full build the lone rows and the copies
    apart), so that every raw row is parsed by exactly the same rules.
-#}
{#- the primary key: the raw row (as base_product__events keys it, the same value), computed only
    when read: int_events_deduplicated does not read it. (Jinja comments here and in the staging
    macro: on Spark this is a view, and the Hive metastore refuses a view text over 32,700 characters.) #}
select
    staged_events.*,
    {{ engagement_raw_row_key([
        'staged_events.raw_event_id',
        'staged_events.raw_occurred_at',
        'staged_events.raw_user_id',
        'staged_events.raw_account_id',
        'staged_events.raw_event_type',
        'staged_events.raw_properties',
        'staged_events.raw_loaded_at'
    ]) }} as raw_event_key
from (
    {{ engagement_stage_events(ref('base_product__events')) }}
) as staged_events
