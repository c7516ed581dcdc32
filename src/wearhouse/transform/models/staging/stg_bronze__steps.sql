-- One row per per-minute step count: single readings as sent, bucket metrics unnested.
with bronze as (
    select payload, _source, _batch_id, _ingested_at
    from {{ source('bronze', 'steps') }}
),

parsed as (
    select
        from_json(
            payload,
            '{"device_id": "VARCHAR", "ts": "VARCHAR", "steps": "DOUBLE",
              "metrics": [{"ts": "VARCHAR", "steps": "DOUBLE"}]}'
        ) as record,
        payload,
        _source,
        _batch_id,
        _ingested_at
    from bronze
),

singles as (
    select
        record.device_id,
        record.ts as ts_text,
        record.steps,
        false as from_bucket,
        payload as _payload,
        _source,
        _batch_id,
        _ingested_at
    from parsed
    where record.metrics is null
),

bucket_metrics as (
    select record.device_id, unnest(record.metrics) as metric, _source, _batch_id, _ingested_at
    from parsed
    where record.metrics is not null
),

bucketed as (
    select
        device_id,
        metric.ts as ts_text,
        metric.steps,
        true as from_bucket,
        null::varchar as _payload,
        _source,
        _batch_id,
        _ingested_at
    from bucket_metrics
),

final as (
    select
        device_id,
        ts_text,
        {{ parse_ts('ts_text') }} as ts,
        steps,
        from_bucket,
        _payload,
        _source,
        _batch_id,
        _ingested_at
    from (
        select * from singles
        union all
        select * from bucketed
    )
)

select * from final
