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
        sum(avg_bpm * readings) / nullif(sum(readings), 0) as avg_bpm,
        min(min_bpm) as min_bpm,
        max(max_bpm) as max_bpm,
        avg(resting_bpm) as resting_bpm,
        sum(sleep_minutes) as sleep_minutes,
        sum(avg_sleep_bpm * sleep_readings) / nullif(sum(sleep_readings), 0) as avg_sleep_bpm,
        cast(sum(readings) as bigint) as readings,
        cast(sum(sleep_readings) as bigint) as sleep_readings
    from days
    group by user_id, {{ period_expr }}
)

select * from final
{%- endmacro %}
