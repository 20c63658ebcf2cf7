{#
    The version of what the parse of raw rows depends on besides the rows: the event type aliases
    (normalized, as staging compares them), the vars earliest_event_date and max_days_after_loaded_at,
    the declared properties (the columns staging cuts out), and the parse's own release. One row,
    parse_rules_version. Every row of int_events_deduplicated and fct_events stores the version it was
    decided under, and the measures' rules_version includes it: a run under other parse rules decides
    every raw row again, as a full build does, instead of leaving the earlier rows as they were
    decided (README "Incremental runs").
#}
{% macro engagement_parse_rules_version() -%}
{%- set properties = [] -%}
{%- for property in engagement_declared_properties() -%}
    {%- do properties.append(property.name ~ '=' ~ property.column) -%}
{%- endfor -%}
{%- set settings = [
    'events-v1',
    'earliest_event_date=' ~ (engagement_date_var('earliest_event_date', '2000-01-01') or ''),
    'max_days_after_loaded_at=' ~ engagement_int_var('max_days_after_loaded_at', 1),
    'properties=' ~ (properties | join(',')),
    ''
] | join('|') -%}
    select
        {{ dbt.hash(dbt.concat([
            engagement_string_literal(settings),
            "coalesce(" ~ engagement_sorted_text_agg('aliases.rule_text', '\n') ~ ", '')"
        ])) }} as parse_rules_version
    from (
        select {{ engagement_rule_text('event_type_aliases', [
            engagement_normalize_event_type('alias'),
            engagement_normalize_event_type('event_type')
        ]) }} as rule_text
        from {{ ref('event_type_aliases') }}

        union all

        select cast(null as {{ dbt.type_string() }}) as rule_text
    ) as aliases
{%- endmacro %}

{#
    On an incremental run of int_events_deduplicated or fct_events (DuckDB, PostgreSQL): true when the
    table must be decided again in full, because it was built under other parse rules (its stored
    parse_rules_version differs from this run's) or by a release without the column. False on a full
    build, on Spark (tables there, rebuilt every run), in unit tests, and when nothing was stored yet.
    The model then reads every raw row, and its pre-hook (engagement_redecide_all_rows) empties the
    table first, in the run's transaction.
#}
{% macro engagement_redecide_all() -%}
{%- if not execute or target.type == 'spark' or this is none or model.resource_type == 'unit_test' or not is_incremental() -%}
    {{ return(false) }}
{%- endif -%}
{%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- if 'parse_rules_version' not in stored -%}
    {{ return(true) }}
{%- endif -%}
{%- set query -%}
    select count(*) as differing
    from (select parse_rules_version from {{ this }} limit 1) as stored
    cross join ({{ engagement_parse_rules_version() }}) as current_rules
    where stored.parse_rules_version is null or stored.parse_rules_version <> current_rules.parse_rules_version
{%- endset -%}
{{ return(run_query(query).columns[0].values()[0] | int > 0) }}
{%- endmacro %}

{#
    The pre-hook of int_events_deduplicated and fct_events: on a run that decides every raw row again
    (engagement_redecide_all), the table's rows go first, in the run's transaction (a kill leaves the
    table as it was); otherwise nothing.
#}
{% macro engagement_redecide_all_rows() -%}
{%- if engagement_redecide_all() -%}
    delete from {{ this }}
{%- endif -%}
{%- endmacro %}
