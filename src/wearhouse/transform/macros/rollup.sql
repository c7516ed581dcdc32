{#- Roll user-day measures up to a coarser period: steps summed, BPM averaged over readings. -#}
{% macro rollup_user_days(period_column, period_expr) -%}
with days as (
    select * from {{ ref('user_daily') }}
),

final as (
    select
        user_id,
        {{ period_expr }} as {{ period_column }},
        count(*) as days,
        list_sort(list_distinct(flatten(list(devices)))) as devices,
        cast(sum(step_count) as bigint) as step_count,
        {{ exact_sum('bpm_sum') }} / nullif(sum(readings), 0) as avg_bpm,
        min(min_bpm) as min_bpm,
        max(max_bpm) as max_bpm,
        {{ exact_avg('resting_bpm') }} as resting_bpm,
        {{ exact_sum('sleep_minutes') }} as sleep_minutes,
        {{ exact_sum('sleep_bpm_sum') }} / nullif(sum(sleep_readings), 0) as avg_sleep_bpm,
        cast(sum(readings) as bigint) as readings,
        cast(sum(sleep_readings) as bigint) as sleep_readings
    from days
    group by user_id, {{ period_expr }}
)

select * from final
{%- endmacro %}

{#-
  Sums and averages of doubles that give the same bits on every run: DuckDB adds doubles in
  whatever order its threads finish, so plain sum()/avg() can differ in the last bit between two
  builds of the same data, which would republish unchanged tables.
-#}
{% macro exact_sum(expr) -%}
    cast(sum(cast({{ expr }} as decimal(38, 6))) as double)
{%- endmacro %}

{% macro exact_avg(expr) -%}
    cast(sum(cast({{ expr }} as decimal(38, 6))) / count({{ expr }}) as double)
{%- endmacro %}
