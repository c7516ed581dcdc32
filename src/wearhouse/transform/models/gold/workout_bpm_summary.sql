-- One row per completed workout session: heart rate during it (start < ts <= end) and who did it.
with sessions as (
    select * from {{ ref('workout_sessions') }}
),

-- A session is listed under every calendar day it touches so readings join it by (user, day).
session_days as (
    select
        user_id,
        workout_id,
        session_id,
        start_time,
        end_time,
        cast(unnest(generate_series(cast(start_time as date), cast(end_time as date), interval 1 day)) as date)
            as day
    from sessions
),

readings as (
    select user_id, ts, bpm, cast(ts as date) as day from {{ ref('heart_rate') }}
),

heart as (
    select
        session_days.user_id,
        session_days.workout_id,
        session_days.session_id,
        session_days.start_time,
        min(readings.bpm) as min_bpm,
        {{ exact_avg('readings.bpm') }} as avg_bpm,
        max(readings.bpm) as max_bpm,
        count(*) as num_recordings
    from session_days
    inner join readings
        on session_days.user_id = readings.user_id
        and session_days.day = readings.day
        and readings.ts > session_days.start_time
        and readings.ts <= session_days.end_time
    group by all
),

profiles as (
    select * from {{ ref('int_user_days_profiled') }}
),

final as (
    select
        sessions.user_id,
        sessions.workout_id,
        sessions.session_id,
        sessions.start_time,
        sessions.end_time,
        profiles.age_group,
        profiles.gender,
        profiles.city,
        profiles.state,
        heart.min_bpm,
        heart.avg_bpm,
        heart.max_bpm,
        coalesce(heart.num_recordings, 0) as num_recordings
    from sessions
    left join heart
        on sessions.user_id = heart.user_id
        and sessions.workout_id = heart.workout_id
        and sessions.session_id = heart.session_id
        and sessions.start_time = heart.start_time
    left join profiles
        on sessions.user_id = profiles.user_id
        and cast(sessions.start_time as date) = profiles.day
)

select * from final
