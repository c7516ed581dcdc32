-- One row per device per timestamp (per-minute counts); a count sent twice keeps the first ingested.
with valid as (
    select * from {{ ref('int_steps_validated') }}
    where _reject_reason is null
),

deduplicated as (
    select *
    from valid
    qualify row_number() over (
        partition by device_id, ts order by _ingested_at, _batch_id, steps
    ) = 1
),

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
