{# The qualified name of a helper function created by engagement_create_helpers (in the target schema). #}
{% macro engagement_helper_function(name) -%}
    {{ adapter.quote(target.schema) }}.{{ name }}
{%- endmacro %}
