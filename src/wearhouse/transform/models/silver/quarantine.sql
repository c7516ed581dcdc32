-- One row per rejected record or reading (and reason), with the reason; nothing invalid disappears
-- silently, and a bad record sent twice is listed once.
{#- Readings and edge rejections come from int_readings_quarantined; the small streams are
    validated whole on every run. -#}
{%- set per_stream = {
    'sleeps': "to_json(struct_pack(device_id := device_id, metrics := [json(_payload)]))",
    'users': '_payload',
    'devices': '_payload',
    'workouts': '_payload',
    'gym_visits': '_payload',
} %}
with rejected_in_silver as (
    {{- rejected_rows(per_stream) }}
),

rejected_readings as (
    select stream, payload, reason, source, _batch_id, _ingested_at
    from {{ ref('int_readings_quarantined') }}
),

-- A start whose stop came too late can never become a session: say so rather than drop it.
overlong_workouts as (
    select
        'workouts' as stream,
        _payload as payload,
        'workout ' || workout_id || ' session ' || session_id || ' of user ' || user_id
            || ' stops ' || round((epoch(next_ts) - epoch(ts)) / 3600, 1) || ' h after it starts; '
            || 'sessions longer than {{ var("workout_max_hours") }} h are not counted' as reason,
        _source as source,
        _batch_id,
        _ingested_at
    from {{ ref('int_workout_events_sequenced') }}
    where action = 'start'
        and next_action = 'stop'
        and next_ts > ts + interval '{{ var("workout_max_hours") }} hours'
),

rejected as (
    select * from rejected_in_silver
    union all
    select * from rejected_readings
    union all
    select * from overlong_workouts
),

-- The same bad record sent twice is one quarantined record: keep the first ingested.
final as (
    select *
    from rejected
    qualify row_number() over (partition by stream, payload, reason order by _ingested_at, _batch_id) = 1
)

select * from final
