-- Every per-minute step count with the reason it is rejected (null when valid) and its user.
with readings as (
    select * from {{ ref('stg_bronze__steps') }}
),

devices as (
    select device_id, user_id from {{ ref('devices') }}
),

checked as (
    select
        readings.*,
        devices.user_id,
        case
            when readings.device_id is null
                then 'device_id is missing: send the id of the device that counted the steps'
            when readings.ts is null
                then 'ts ' || coalesce('''' || readings.ts_text || '''', 'is missing')
                    || ': send an ISO 8601 timestamp or epoch seconds'
            when readings.steps is null then 'steps is missing or not a number'
            when readings.steps < 0 or readings.steps > {{ var('steps_per_minute_max') }}
                then 'steps ' || readings.steps || ' is outside 0-{{ var("steps_per_minute_max") }} per minute'
            when {{ too_far_ahead('readings.ts', 'readings._ingested_at') }}
                then 'ts ' || readings.ts || ' is more than {{ var("future_tolerance_hours") }} hours '
                    || 'after the record was ingested: check the device clock'
            when devices.device_id is null
                then 'unknown device ' || readings.device_id || ': register it on the devices stream'
        end as _reject_reason
    from readings
    left join devices on readings.device_id = devices.device_id
),

final as (
    select
        device_id,
        user_id,
        ts,
        cast(steps as integer) as steps,
        steps as steps_sent,
        _reject_reason,
        case when _reject_reason is not null then ts_text end as ts_text,
        case when _reject_reason is not null then from_bucket end as from_bucket,
        case when _reject_reason is not null then _payload end as _payload,
        _source,
        _batch_id,
        _ingested_at
    from checked
)

select * from final
