{#-
    One key column for a grain of several columns: md5 of the columns, each cast to text and written
    as its length, ':' and the text, or '~' when null, joined with '|'. The length prefix makes the
    encoding injective (no text, separator or null marker can be mistaken for another column's
    value), so two rows get the same key only when every column is equal (nulls equal to nulls),
    short of an md5 collision. The same text on DuckDB, PostgreSQL and Spark (md5, length and the
    text of dates, integers and text agree on them): a key is the same on every engine, except over
    a timestamp column, whose text each engine writes its own way.
-#}
{% macro engagement_surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- set text = 'cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')' -%}
        {%- do parts.append(
            "coalesce(" ~ dbt.concat(["cast(length(" ~ text ~ ") as " ~ dbt.type_string() ~ ")", "':'", text])
            ~ ", '~')"
        ) -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{#-
    The key of a raw row, whose columns alone may not tell it from another (an input may repeat a
    row exactly): engagement_surrogate_key of the columns and the row's number among the rows
    identical to it (row_number, in any order: they are the same). A window: computed only where
    it is read, so a view that carries it costs nothing to the models that do not.
-#}
{% macro engagement_raw_row_key(columns) -%}
    {{ engagement_surrogate_key(columns + [
        'row_number() over (partition by ' ~ (columns | join(', ')) ~ ' order by ' ~ columns[0] ~ ')'
    ]) }}
{%- endmacro %}
