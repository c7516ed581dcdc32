-- One row per month per age group (age on the day of each measurement).
with days as (
    select *, cast(date_trunc('month', day) as date) as month from {{ ref('user_daily') }}
),

final as (
    select
        month,
        age_group,
        count(distinct user_id) as users,
        {{ exact_sum('sleep_bpm_sum') }} / nullif(sum(sleep_readings), 0) as avg_sleep_bpm,
        -- The mean of each user's monthly total.
        sum(step_count) / count(distinct user_id) as avg_step_count,
        {{ exact_sum('bpm_sum') }} / nullif(sum(readings), 0) as avg_bpm,
        cast(sum(readings) as bigint) as readings
    from days
    group by month, age_group
)

select * from final
