{# A subquery of the build's account roll-ups (score_model: the account-level model, user_score_model: the user model it rolls up), typed and empty when there are none. #}
{% macro engagement_account_roll_ups_relation() -%}
    {%- for account_model, user_model in engagement_account_roll_ups() %}
    select
        {{ engagement_string_literal(account_model) }} as score_model,
        {{ engagement_string_literal(user_model) }} as user_score_model
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as score_model,
        cast(null as {{ dbt.type_string() }}) as user_score_model
    where 1 = 0
    {%- endfor %}
{%- endmacro %}
