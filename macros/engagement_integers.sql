{# A subquery of the whole numbers 0 .. 10^digits - 1 (column n): cross-joined digits, or the engine's own number generator. #}
{% macro engagement_integers(digits=4) -%}
    {{ return(adapter.dispatch('engagement_integers', 'engagement_scoring')(digits)) }}
{%- endmacro %}

{% macro default__engagement_integers(digits) -%}
    select
        {% for i in range(digits) -%}
        digit_{{ i }}.n * {{ 10 ** i }}{% if not loop.last %} + {% endif %}
        {%- endfor %} as n
    from
        {% for i in range(digits) -%}
        (
            select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
            union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
        ) as digit_{{ i }}{% if not loop.last %}
        cross join
        {% endif %}
        {%- endfor %}
{%- endmacro %}

{% macro spark__engagement_integers(digits) -%}
    {#- the cross-joined unions plan as thousands of tiny partitions on Spark; range() is one -#}
    select cast(id as {{ dbt.type_int() }}) as n from range(0, {{ 10 ** digits }}, 1, 1)
{%- endmacro %}
