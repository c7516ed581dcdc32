-- One row per device per timestamp (per-minute counts); a count sent twice keeps the first ingested.
with valid as not materialized (
    select * from {{ ref('int_steps_validated') }}
    where _reject_reason is null
),

{{ keep_first('deduplicated', 'valid', ['device_id', 'ts'], '_ingested_at, _batch_id, steps') }},

final as (
    select
        device_id,
        user_id,
        ts,
        steps,
        _source as source,
        _batch_id,
        _ingested_at
    from deduplicated
)

select * from final
