-- Per user and day (UTC calendar day): the measures behind gold user_daily, before demographics.
-- Incremental: the affected user-days are deleted and computed again.
-- depends_on: {{ ref('int_affected_user_days') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_affected_user_days('target.day') }}"
) }}

{%- set only_affected = is_incremental() %}
with heart_minutes as (
    select * from {{ ref('int_heart_rate_minutes') }}
),

heart_daily as (
    select
        user_id,
        cast(minute as date) as day,
        cast(sum(readings) as bigint) as readings,
        {{ exact_sum('bpm_sum') }} as bpm_sum,
        {{ exact_sum('bpm_sum') }} / sum(readings) as avg_bpm,
        min(bpm_min) as min_bpm,
        max(bpm_max) as max_bpm,
        -- Resting rate: the 5th percentile of the awake minutes' average, robust to a stray low reading.
        quantile_cont(bpm_sum / readings, 0.05) filter (where sleep_day is null) as resting_bpm,
        list(distinct device_id) as devices
    from heart_minutes
    {%- if only_affected %}
    where {{ is_affected('user_id', 'cast(minute as date)', 'minute') }}
    {%- endif %}
    group by user_id, cast(minute as date)
),

sleep_heart as (
    select
        user_id,
        sleep_day as day,
        cast(sum(readings) as bigint) as sleep_readings,
        {{ exact_sum('bpm_sum') }} as sleep_bpm_sum,
        {{ exact_sum('bpm_sum') }} / sum(readings) as avg_sleep_bpm
    from heart_minutes
    where sleep_day is not null
    {%- if only_affected %}
        -- A sleep ends on its day or the day after it starts.
        and {{ is_affected('user_id', 'sleep_day', 'minute', days_before=1) }}
    {%- endif %}
    group by user_id, sleep_day
),

steps_daily as (
    select
        user_id,
        cast(minute as date) as day,
        cast(sum(steps) as bigint) as step_count,
        list(distinct device_id) as devices
    from {{ ref('int_steps_minutes') }}
    {%- if only_affected %}
    where {{ is_affected('user_id', 'cast(minute as date)', 'minute') }}
    {%- endif %}
    group by user_id, cast(minute as date)
),

sleep_daily as (
    select
        user_id,
        sleep_day as day,
        {{ exact_sum('duration_s') }} / 60.0 as sleep_minutes,
        list(distinct device_id) as devices
    from {{ ref('int_user_sleeps_prioritized') }}
    {%- if only_affected %}
    where {{ is_affected('user_id', 'sleep_day') }}
    {%- endif %}
    group by user_id, sleep_day
),

keys as (
    select user_id, day from heart_daily
    union
    select user_id, day from steps_daily
    union
    select user_id, day from sleep_daily
),

final as (
    select
        keys.user_id,
        keys.day,
        list_sort(list_distinct(flatten([
            coalesce(heart_daily.devices, []),
            coalesce(steps_daily.devices, []),
            coalesce(sleep_daily.devices, [])
        ]))) as devices,
        coalesce(steps_daily.step_count, 0) as step_count,
        heart_daily.avg_bpm,
        coalesce(heart_daily.bpm_sum, 0) as bpm_sum,
        heart_daily.min_bpm,
        heart_daily.max_bpm,
        heart_daily.resting_bpm,
        coalesce(sleep_daily.sleep_minutes, 0) as sleep_minutes,
        sleep_heart.avg_sleep_bpm,
        coalesce(sleep_heart.sleep_bpm_sum, 0) as sleep_bpm_sum,
        coalesce(heart_daily.readings, 0) as readings,
        coalesce(sleep_heart.sleep_readings, 0) as sleep_readings
    from keys
    left join heart_daily on keys.user_id = heart_daily.user_id and keys.day = heart_daily.day
    left join steps_daily on keys.user_id = steps_daily.user_id and keys.day = steps_daily.day
    left join sleep_daily on keys.user_id = sleep_daily.user_id and keys.day = sleep_daily.day
    left join sleep_heart on keys.user_id = sleep_heart.user_id and keys.day = sleep_heart.day
)

select * from final
