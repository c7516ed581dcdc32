-- One row per completed workout session: a start matched to the next event of the same
-- (user, workout, session), when that event is a stop within the allowed duration.
with sequenced as (
    select * from {{ ref('int_workout_events_sequenced') }}
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
