{# Fails for every combination of the given columns that appears on more than one row. #}
{% test engagement_unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as row_count,
    'the combination of {{ columns | join(", ") }} appears on more than one row' as problem
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
