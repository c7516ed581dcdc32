-- Every workout event with the reason it is rejected (null when valid).
with events as (
    select * from {{ ref('stg_bronze__workouts') }}
),

checked as (
    select
        *,
        case
            when user_id is null or workout_id is null or session_id is null
                then 'user_id, workout_id and session_id are all required'
            when action is null or action not in ('start', 'stop')
                then 'action ' || coalesce('''' || action || '''', 'is missing') || ': use start or stop'
            when ts is null
                then 'ts ' || coalesce('''' || ts_text || '''', 'is missing')
                    || ': send an ISO 8601 timestamp or epoch seconds'
            when {{ too_far_ahead('ts', '_ingested_at') }}
                then 'ts ' || ts || ' is more than {{ var("future_tolerance_hours") }} hours '
                    || 'after the record was ingested: check the app clock'
        end as _reject_reason
    from events
)

select * from checked
