-- One row per workout start or stop event.
with bronze as (
    select payload, _source, _batch_id, _ingested_at
    from {{ source('bronze', 'workouts') }}
),

parsed as (
    select
        from_json(
            payload,
            '{"user_id": "VARCHAR", "workout_id": "VARCHAR", "session_id": "VARCHAR",
              "action": "VARCHAR", "ts": "VARCHAR"}'
        ) as record,
        payload,
        _source,
        _batch_id,
        _ingested_at
    from bronze
),

final as (
    select
        record.user_id,
        record.workout_id,
        record.session_id,
        lower(trim(record.action)) as action,
        record.ts as ts_text,
        {{ parse_ts('record.ts') }} as ts,
        payload as _payload,
        _source,
        _batch_id,
        _ingested_at
    from parsed
)

select * from final
