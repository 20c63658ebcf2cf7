{# A portable subquery of the whole numbers 0 .. 10^digits - 1 (column n), built from cross-joined digits. #}
{% macro engagement_integers(digits=4) -%}
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
