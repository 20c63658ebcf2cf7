{#
    The incremental strategy of int_events_deduplicated (`incremental_strategy='engagement_raw_rows'`,
    DuckDB and PostgreSQL): a run replaces every earlier outcome of the raw rows it decided again,
    then inserts the new outcomes, in one transaction.

    The rows a run decides again are whole row_keys (all copies of an event_id; the rows without one
    by their raw loaded_at text), numbered again together, so their new keys cover the old ones. A
    rejected row keeps its event_row_key; a clean row does not (its key would be `id:`, its event_id,
    `#c1`: the kept copy is always the first), which spares writing a second copy of every event_id.
    So an earlier outcome goes when its event_id is a clean row of the run (a clean row of an
    event_id stays clean when the event_id is decided again: only a valid copy displaces it), or its
    event_row_key is a rejected row's of the run. The table of an earlier release, which held a key on
    clean rows too, is handled alike: its clean rows go by event_id.
#}
{% macro get_incremental_engagement_raw_rows_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where event_id in (
        select event_id from {{ source }} where event_id is not null
    );

    delete from {{ target }}
    where event_row_key in (
        select event_row_key from {{ source }} where event_row_key is not null
    );

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ source }}
{%- endmacro %}
