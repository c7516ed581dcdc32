-- One row per sleep inside a sleeps record.
with bronze as (
    select payload, _source, _batch_id, _ingested_at
    from {{ source('bronze', 'sleeps') }}
),

parsed as (
    select
        from_json(
            payload,
            '{"device_id": "VARCHAR",
              "metrics": [{"start_ts": "VARCHAR", "end_ts": "VARCHAR", "duration": "DOUBLE", "levels": "JSON"}]}'
        ) as record,
        _source,
        _batch_id,
        _ingested_at
    from bronze
),

sleeps as (
    select record.device_id, unnest(record.metrics) as metric, _source, _batch_id, _ingested_at
    from parsed
),

final as (
    select
        device_id,
        metric.start_ts as start_text,
        metric.end_ts as end_text,
        {{ parse_ts('metric.start_ts') }} as start_ts,
        {{ parse_ts('metric.end_ts') }} as end_ts,
        metric.duration as duration_ms,
        metric.levels,
        to_json(metric) as _payload,
        _source,
        _batch_id,
        _ingested_at
    from sleeps
)

select * from final
