-- Heart rate per user, device and minute, split by whether the reading fell inside one of the
-- user's counted sleeps (sleep_day = the day that sleep ended, null when awake), keeping for each
-- user-minute only the devices of the highest priority. Incremental: the user-days with new
-- readings, and the minutes of the nights whose sleeps changed, are deleted and computed again.
-- depends_on: {{ ref('int_affected_user_days') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_affected_heart_rate_minutes() }}"
) }}

with readings as (
    select
        heart_rate.user_id,
        heart_rate.device_id,
        heart_rate.ts,
        heart_rate.bpm,
        cast(heart_rate.ts as date) as day
    from {{ ref('heart_rate') }} as heart_rate
    {%- if is_incremental() %}
    {{ join_affected_heart_rate_minutes('heart_rate', 'ts') }}
    {%- endif %}
),

-- A sleep is listed under every calendar day it touches so readings join it by (user, day).
sleep_days as (
    select
        user_id,
        start_ts,
        end_ts,
        sleep_day,
        cast(unnest(generate_series(cast(start_ts as date), cast(end_ts as date), interval 1 day)) as date)
            as day
    from {{ ref('int_user_sleeps_prioritized') }}
),

flagged as (
    select
        readings.user_id,
        readings.device_id,
        date_trunc('minute', readings.ts) as minute,
        readings.bpm,
        sleep_days.sleep_day
    from readings
    left join sleep_days
        on readings.user_id = sleep_days.user_id
        and readings.day = sleep_days.day
        and readings.ts >= sleep_days.start_ts
        and readings.ts < sleep_days.end_ts
),

minutes as (
    select
        user_id,
        device_id,
        minute,
        sleep_day,
        count(*) as readings,
        {{ exact_sum('bpm') }} as bpm_sum,
        min(bpm) as bpm_min,
        max(bpm) as bpm_max
    from flagged
    group by user_id, device_id, minute, sleep_day
),

prioritized as (
    select minutes.*, devices.priority
    from minutes
    inner join {{ ref('devices') }} as devices on minutes.device_id = devices.device_id
    qualify devices.priority = min(devices.priority) over (partition by minutes.user_id, minutes.minute)
),

final as (
    select user_id, device_id, minute, sleep_day, readings, bpm_sum, bpm_min, bpm_max
    from prioritized
)

select * from final
{{ clustered_by('minute') }}
