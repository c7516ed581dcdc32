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
