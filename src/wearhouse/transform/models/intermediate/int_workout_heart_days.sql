-- Heart rate during each completed workout session (start < ts <= end), per calendar day the
-- session touches: the part of gold workout_bpm_summary that scans readings.
-- Incremental: the user-days with new readings or workout events computed again (an event makes
-- the days within workout_max_hours of it affected, so a session that changes is recomputed
-- whole).
-- depends_on: {{ ref('int_affected_user_days') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_affected_user_days('target.day', causes=['new_heart_rate', 'new_workouts', 'rebuilt']) }}"
) }}

with sessions as (
    select * from {{ ref('workout_sessions') }}
),

-- A session is listed under every calendar day it touches so readings join it by (user, day).
session_days as (
    select * from (
        select
            user_id,
            workout_id,
            session_id,
            start_time,
            end_time,
            cast(unnest(generate_series(cast(start_time as date), cast(end_time as date), interval 1 day)) as date)
                as day
        from sessions
    )
    {%- if is_incremental() %}
    where {{ is_affected('user_id', 'day', causes=['new_heart_rate', 'new_workouts', 'rebuilt']) }}
    {%- endif %}
),

readings as (
    select user_id, ts, bpm, cast(ts as date) as day
    from {{ ref('heart_rate') }}
    {%- if is_incremental() %}
    where {{ is_affected('user_id', 'cast(ts as date)', 'ts', causes=['new_heart_rate', 'new_workouts', 'rebuilt']) }}
    {%- endif %}
),

final as (
    select
        session_days.user_id,
        session_days.workout_id,
        session_days.session_id,
        session_days.start_time,
        session_days.day,
        min(readings.bpm) as min_bpm,
        sum(cast(readings.bpm as decimal(38, 6))) as bpm_sum,
        max(readings.bpm) as max_bpm,
        count(*) as readings
    from session_days
    inner join readings
        on session_days.user_id = readings.user_id
        and session_days.day = readings.day
        and readings.ts > session_days.start_time
        and readings.ts <= session_days.end_time
    group by all
)

select * from final
