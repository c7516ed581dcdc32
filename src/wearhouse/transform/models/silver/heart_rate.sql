-- One row per device per timestamp; a reading sent twice keeps the first ingested.
with valid as not materialized (
    select * from {{ ref('int_heart_rate_validated') }}
    where _reject_reason is null
),

{{ keep_first('deduplicated', 'valid', ['device_id', 'ts'], '_ingested_at, _batch_id, bpm, confidence') }},

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
        _source as source,
        _batch_id,
        _ingested_at
    from deduplicated
)

select * from final
