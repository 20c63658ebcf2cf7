{# Written between a CTE's `as` and its body, for a CTE that several others read but that is cheaper recomputed than held: the score models' events and in-scope events. DuckDB otherwise keeps every row of such a CTE in memory for its readers, which spilled at 100M events; with it, each reader is planned with the CTE's query inline. Elsewhere nothing (a plain CTE). #}
{% macro engagement_inline_cte() -%}
    {{ return(adapter.dispatch('engagement_inline_cte', 'engagement_scoring')()) }}
{%- endmacro %}

{% macro default__engagement_inline_cte() -%}
{%- endmacro %}

{% macro duckdb__engagement_inline_cte() -%}
    not materialized
{%- endmacro %}

{# Written between a CTE's `as` and its body, for a CTE that several others read and that is cheaper held than recomputed: the events an incremental run of the measures reads (a fraction of them, where each reader would otherwise scan every event again). DuckDB holds it (spilling past its memory cap); PostgreSQL holds a CTE read more than once anyway; elsewhere nothing. #}
{% macro engagement_held_cte() -%}
    {{ return(adapter.dispatch('engagement_held_cte', 'engagement_scoring')()) }}
{%- endmacro %}

{% macro default__engagement_held_cte() -%}
{%- endmacro %}

{% macro duckdb__engagement_held_cte() -%}
    materialized
{%- endmacro %}
