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
        {{ reading_reject_reason('steps', 0, var('steps_per_minute_max'), ' per minute', 'counted the steps') }} as _reject_reason
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
