{# A ratio as decimal(18, 4), rounded to 4 places (PostgreSQL rounds only numerics, so the double is cast first); null when the denominator is 0 or null. #}
{% macro engagement_ratio(numerator, denominator) -%}
    case
        when ({{ denominator }}) != 0
            then cast(round(cast(
                cast(({{ numerator }}) as {{ engagement_type_double() }}) / ({{ denominator }})
                as decimal(28, 10)), 4) as decimal(18, 4))
    end
{%- endmacro %}
