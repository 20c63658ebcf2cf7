{{ config(severity='warn') }}
{#-
    Lists event types that are neither canonical nor an alias in event_type_aliases. They are kept
    as activity (they count against inactivity), but a new tracker name for a scored type would go
    unscored: add it to the alias seed.
-#}
select
    event_type,
    count(*) as event_count
from {{ ref('fct_events') }}
where not is_known_event_type
group by event_type
