{#-
  The rows of `relation` with one row per `keys`: where a key occurs more than once, the first by
  `order_by`. Only duplicated keys are ranked, which on readings (almost all unique) is far cheaper
  than a window over every row. Expands to CTEs; select from `<name>` afterwards.
-#}
{% macro keep_first(name, relation, keys, order_by) -%}
{{ name }}__duplicated_keys as (
    select {{ keys | join(', ') }}
    from {{ relation }}
    group by {{ keys | join(', ') }}
    having count(*) > 1
),

{{ name }}__unique_rows as (
    select *
    from {{ relation }}
    anti join {{ name }}__duplicated_keys using ({{ keys | join(', ') }})
),

{{ name }}__first_of_duplicates as (
    select *
    from {{ relation }}
    semi join {{ name }}__duplicated_keys using ({{ keys | join(', ') }})
    qualify row_number() over (partition by {{ keys | join(', ') }} order by {{ order_by }}) = 1
),

{{ name }} as (
    select * from {{ name }}__unique_rows
    union all
    select * from {{ name }}__first_of_duplicates
)
{%- endmacro %}

{#-
  True when row `stored` comes before row `new`, or ties with it, in the order of `columns`
  (ascending, nulls last): the order keep_first ranks rows by. Never null.
-#}
{% macro ranks_first(stored, new, columns) -%}
    {%- set last = columns[-1] -%}
    {%- set ns = namespace(
        expr="(" ~ new ~ "." ~ last ~ " is null or coalesce(" ~ stored ~ "." ~ last ~ " <= " ~ new ~ "." ~ last ~ ", false))"
    ) -%}
    {%- for column in columns[:-1] | reverse -%}
        {%- set s = stored ~ "." ~ column -%}
        {%- set n = new ~ "." ~ column -%}
        {%- set ns.expr = "(coalesce(" ~ s ~ " < " ~ n ~ ", false) or (" ~ s ~ " is not null and " ~ n ~ " is null)"
            ~ " or (" ~ s ~ " is not distinct from " ~ n ~ " and " ~ ns.expr ~ "))" -%}
    {%- endfor -%}
    {{ ns.expr }}
{%- endmacro %}

{#-
  Ends the from clause of an incremental merge on `keys`: keeps the rows of `relation` whose key is
  not stored yet, or that rank before the stored row in the order of `order_columns`. A left join
  on the keys, not a correlated `not exists`, which DuckDB would decorrelate by grouping every new
  row first; the select list must name `relation`'s columns, the stored ones being joined in.
-#}
{% macro unless_stored_first(relation, keys, order_columns) -%}
    left join {{ this }} as stored
        on
        {%- for key in keys %}
        stored.{{ key }} = {{ relation }}.{{ key }}{% if not loop.last %} and{% endif %}
        {%- endfor %}
    where stored.{{ keys[0] }} is null or not {{ ranks_first('stored', relation, order_columns) }}
{%- endmacro %}
