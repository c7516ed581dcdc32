-- One row per sleep (device_id, start_ts); a sleep sent twice keeps the first ingested.
with valid as (
    select * from {{ ref('int_sleeps_validated') }}
    where _reject_reason is null
),

deduplicated as (
    select *
    from valid
    qualify row_number() over (
        partition by device_id, start_ts order by _ingested_at, _batch_id, end_ts
    ) = 1
),

final as (
    select
        device_id,
        user_id,
        start_ts,
        end_ts,
        coalesce(duration_ms / 1000.0, epoch(end_ts) - epoch(start_ts)) as duration_s,
        levels,
        _source as source,
        _batch_id,
        _ingested_at
    from deduplicated
)

select * from final
