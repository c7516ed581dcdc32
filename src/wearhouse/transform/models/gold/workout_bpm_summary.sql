-- One row per completed workout session: heart rate during it (start < ts <= end) and who did it.
with sessions as (
    select * from {{ ref('workout_sessions') }}
),

heart as (
    select
        user_id,
        workout_id,
        session_id,
        start_time,
        min(min_bpm) as min_bpm,
        cast(sum(bpm_sum) / sum(readings) as double) as avg_bpm,
        max(max_bpm) as max_bpm,
        cast(sum(readings) as bigint) as num_recordings
    from {{ ref('int_workout_heart_days') }}
    group by user_id, workout_id, session_id, start_time
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
