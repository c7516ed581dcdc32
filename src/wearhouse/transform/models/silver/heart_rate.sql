-- One row per device per timestamp; a reading sent twice keeps the first ingested.
with valid as (
    select * from {{ ref('int_heart_rate_validated') }}
    where _reject_reason is null
),

deduplicated as (
    select *
    from valid
    qualify row_number() over (
        partition by device_id, ts order by _ingested_at, _batch_id, bpm, confidence
    ) = 1
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
        _source as source,
        _batch_id,
        _ingested_at
    from deduplicated
)

select * from final
