-- Every heart-rate reading with the reason it is rejected (null when valid) and its user.
with readings as (
    select * from {{ ref('stg_bronze__heart_rate') }}
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
                then 'device_id is missing: send the id of the device that measured the reading'
            when readings.ts is null
                then 'ts ' || coalesce('''' || readings.ts_text || '''', 'is missing')
                    || ': send an ISO 8601 timestamp or epoch seconds'
            when readings.bpm is null then 'bpm is missing or not a number'
            when readings.bpm < {{ var('bpm_min') }} or readings.bpm > {{ var('bpm_max') }}
                then 'bpm ' || readings.bpm || ' is outside {{ var("bpm_min") }}-{{ var("bpm_max") }}'
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
        bpm,
        confidence,
        activity_id,
        lat,
        lon,
        _reject_reason,
        -- Kept only for rejected rows: all quarantine needs to show what was sent.
        case when _reject_reason is not null then ts_text end as ts_text,
        case when _reject_reason is not null then from_bucket end as from_bucket,
        case when _reject_reason is not null then _payload end as _payload,
        _source,
        _batch_id,
        _ingested_at
    from checked
)

select * from final
