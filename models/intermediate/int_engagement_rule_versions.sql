{#-
    One weights_version per score model: a stable hash of everything that decides its scores, so a
    score row can say which rules produced it. It covers the declaration (its meaning, hashed by
    the generator into the registry: a comment or a description does not count), the model's rows
    of engagement_weights and engagement_bands, its allow-list rows, and the event type aliases
    every model reads. The rows are joined in byte order before hashing, so the version is the same
    on every engine and whatever order the seed rows are in. Labels and descriptions are left out.
-#}
{%- set registry = engagement_score_model_registry() %}
{%- set allow_lists = [] %}
{%- for name, model in registry.items() %}{% for allow_list in model.allow_lists %}
{%- if allow_list not in allow_lists %}{% do allow_lists.append(allow_list) %}{% endif %}
{%- endfor %}{% endfor %}

with

declarations as (

    {% for name, model in registry.items() -%}
    select
        {{ engagement_string_literal(name) }} as score_model,
        {{ engagement_string_literal('declaration|' ~ model.declaration_hash) }} as rule_text
    {% if not loop.last %}
    union all

    {% endif -%}
    {%- endfor %}

),

weights as (

    select
        score_model,
        {{ engagement_rule_text('weights', ['signal', 'rule', 'min_value', 'max_value', 'unit', 'points', 'cap']) }}
            as rule_text
    from {{ ref('engagement_weights') }}

),

bands as (

    select
        score_model,
        {{ engagement_rule_text('bands', ['band', 'min_score', 'max_score', 'band_order']) }} as rule_text
    from {{ ref('engagement_bands') }}

),

{% for allow_list in allow_lists -%}
allowed__{{ allow_list.seed }}__{{ allow_list.column }} as (

    select
        score_model,
        {{ engagement_rule_text(allow_list.seed, [allow_list.column]) }} as rule_text
    from {{ ref(allow_list.seed) }}

),

{% endfor -%}
aliases as (

    select
        declarations.score_model,
        {{ engagement_rule_text('aliases', ['aliases.alias', 'aliases.event_type']) }} as rule_text
    from {{ ref('event_type_aliases') }} as aliases
    cross join declarations

),

rules as (

    select * from declarations
    union all
    select * from weights
    union all
    select * from bands
    union all
    {% for allow_list in allow_lists -%}
    select * from allowed__{{ allow_list.seed }}__{{ allow_list.column }}
    union all
    {% endfor -%}
    select * from aliases

),

final as (

    select
        rules.score_model,
        substr({{ dbt.hash(engagement_sorted_text_agg('rules.rule_text', '\n')) }}, 1, 12) as weights_version
    from rules
    inner join declarations
        on rules.score_model = declarations.score_model
    group by rules.score_model

)

select * from final
