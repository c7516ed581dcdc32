-- Every valid workout event once, with the next event of the same (user, workout, session).
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

final as (
    select
        *,
        lead(action) over session_events as next_action,
        lead(ts) over session_events as next_ts
    from deduplicated
    window session_events as (partition by user_id, workout_id, session_id order by ts, action)
)

select * from final
