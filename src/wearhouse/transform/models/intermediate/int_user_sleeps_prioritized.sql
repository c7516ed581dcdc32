-- The sleeps that count for a user: per user and wake-up day, those of the device with the
-- highest priority (a worn device over a phone), so one night is not counted twice.
with sleeps as (
    select
        sleep_sessions.*,
        cast(sleep_sessions.end_ts as date) as sleep_day,
        devices.priority
    from {{ ref('sleep_sessions') }} as sleep_sessions
    inner join {{ ref('devices') }} as devices on sleep_sessions.device_id = devices.device_id
),

ranked as (
    select
        *,
        dense_rank() over (
            partition by user_id, sleep_day order by priority, device_id
        ) as device_rank
    from sleeps
),

final as (
    select user_id, device_id, start_ts, end_ts, duration_s, sleep_day
    from ranked
    where device_rank = 1
)

select * from final
