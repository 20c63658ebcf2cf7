{#
    The body of a CTE of event_ids the events layer can have decided again since `since` (an
    expression over the one-row CTE `bounds`): those of its rejected rows loaded since then or without
    a loaded_at. A run reads every copy of such an id again and may keep one stamped before its
    watermark (a late file, read with the new copy), which the kept copy's own loaded_at cannot tell.
    fct_events and the measures' rescoring (engagement_rescore_from) read it beside the clean events
    loaded since then.
#}
{% macro engagement_redecided_event_ids(bounds, since) -%}
    select nullif({{ engagement_trim('decided.raw_event_id') }}, '') as event_id
    from {{ ref('int_events_deduplicated') }} as decided
    cross join {{ bounds }}
    where
        decided.reject_reason is not null
        and (decided.loaded_at is null or decided.loaded_at >= {{ since }})
{%- endmacro %}
