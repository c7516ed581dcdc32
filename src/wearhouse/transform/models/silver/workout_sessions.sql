-- One row per completed workout session: a start matched to the next event of the same
-- (user, workout, session), when that event is a stop within the allowed duration.
with events as (
    select * from {{ ref('int_workouts_validated') }}
    where _reject_reason is null
),

deduplicated as (
    select *
    from events
    qualify row_number() over (
        partition by user_id, workout_id, session_id, action, ts order by _ingested_at, _batch_id
    ) = 1
),

sequenced as (
    select
        *,
        lead(action) over session_events as next_action,
        lead(ts) over session_events as next_ts
    from deduplicated
    window session_events as (partition by user_id, workout_id, session_id order by ts, action)
),

final as (
    select
        user_id,
        workout_id,
        session_id,
        ts as start_time,
        next_ts as end_time,
        epoch(next_ts) - epoch(ts) as duration_s,
        _ingested_at
    from sequenced
    where action = 'start'
        and next_action = 'stop'
        and next_ts <= ts + interval '{{ var("workout_max_hours") }} hours'
)

select * from final
