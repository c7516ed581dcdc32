-- Every sleep with the reason it is rejected (null when valid) and its user.
with sleeps as (
    select * from {{ ref('stg_bronze__sleeps') }}
),

devices as (
    select device_id, user_id from {{ ref('devices') }}
),

checked as (
    select
        sleeps.*,
        devices.user_id,
        case
            when sleeps.device_id is null
                then 'device_id is missing: send the id of the device that measured the sleep'
            when sleeps.start_ts is null or sleeps.end_ts is null
                then 'start_ts and end_ts must both be ISO 8601 timestamps or epoch seconds (got '
                    || coalesce(sleeps.start_text, 'null') || ', ' || coalesce(sleeps.end_text, 'null') || ')'
            when sleeps.end_ts <= sleeps.start_ts
                then 'sleep ends (' || sleeps.end_ts || ') before it starts (' || sleeps.start_ts || ')'
            when sleeps.end_ts - sleeps.start_ts >= interval '24 hours'
                then 'sleep lasts 24 hours or more (' || sleeps.start_ts || ' to ' || sleeps.end_ts || ')'
            when {{ too_far_ahead('sleeps.end_ts', 'sleeps._ingested_at') }}
                then 'end_ts ' || sleeps.end_ts || ' is more than {{ var("future_tolerance_hours") }} hours '
                    || 'after the record was ingested: check the device clock'
            when devices.device_id is null
                then 'unknown device ' || sleeps.device_id || ': register it on the devices stream'
        end as _reject_reason
    from sleeps
    left join devices on sleeps.device_id = devices.device_id
)

select * from checked
