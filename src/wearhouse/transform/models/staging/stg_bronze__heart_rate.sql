-- One row per heart-rate reading: single readings as sent, bucket metrics unnested.
-- Only bronze rows not yet processed (all of them on a full refresh).
with bronze as (
    select payload, _source, _batch_id, _ingested_at
    from {{ new_bronze('heart_rate') }}
),

parsed as (
    select
        from_json(
            payload,
            '{"device_id": "VARCHAR", "ts": "VARCHAR", "bpm": "DOUBLE", "confidence": "DOUBLE",
              "activity_id": "VARCHAR", "lat": "DOUBLE", "lon": "DOUBLE",
              "metrics": [{"ts": "VARCHAR", "bpm": "DOUBLE", "confidence": "DOUBLE"}]}'
        ) as record,
        payload,
        _source,
        _batch_id,
        _ingested_at
    from bronze
),

-- One pass over parsed (a CTE read twice would be materialised with every bucket's metrics):
-- a single reading becomes a one-element list, so both shapes unnest alike.
readings as (
    select
        record.device_id,
        unnest(coalesce(
            record.metrics,
            [{'ts': record.ts, 'bpm': record.bpm, 'confidence': record.confidence}]
        )) as metric,
        record.activity_id,
        record.lat,
        record.lon,
        record.metrics is not null as from_bucket,
        case when record.metrics is null then payload end as _payload,
        _source,
        _batch_id,
        _ingested_at
    from parsed
),

final as (
    select
        device_id,
        metric.ts as ts_text,
        {{ parse_ts('metric.ts') }} as ts,
        metric.bpm,
        try_cast(metric.confidence as integer) as confidence,
        activity_id,
        lat,
        lon,
        from_bucket,
        _payload,
        _source,
        _batch_id,
        _ingested_at
    from readings
)

select * from final
