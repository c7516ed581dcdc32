-- One row per user per day: steps, heart rate, resting rate, sleep, and the devices behind them.
with measured as (
    select * from {{ ref('int_user_days_measured') }}
),

profiled as (
    select user_id, day, age_group from {{ ref('int_user_days_profiled') }}
),

final as (
    select
        measured.user_id,
        measured.day,
        measured.devices,
        measured.step_count,
        measured.avg_bpm,
        measured.min_bpm,
        measured.max_bpm,
        measured.resting_bpm,
        measured.sleep_minutes,
        measured.avg_sleep_bpm,
        measured.readings,
        measured.sleep_readings,
        measured.bpm_sum,
        measured.sleep_bpm_sum,
        profiled.age_group
    from measured
    left join profiled on measured.user_id = profiled.user_id and measured.day = profiled.day
)

select * from final
