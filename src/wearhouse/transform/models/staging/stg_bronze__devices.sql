-- One row per device registration.
with bronze as (
    select payload, _source, _batch_id, _ingested_at
    from {{ source('bronze', 'devices') }}
),

parsed as (
    select
        from_json(
            payload,
            '{"device_id": "VARCHAR", "user_id": "VARCHAR", "mac_address": "VARCHAR",
              "model": "VARCHAR", "kind": "VARCHAR", "registered_at": "VARCHAR"}'
        ) as record,
        payload,
        _source,
        _batch_id,
        _ingested_at
    from bronze
),

final as (
    select
        record.device_id,
        record.user_id,
        lower(trim(record.mac_address)) as mac_address,
        record.model,
        coalesce(lower(trim(record.kind)), 'unknown') as kind,
        record.registered_at as registered_at_text,
        {{ parse_ts('record.registered_at') }} as registered_at,
        payload as _payload,
        _source,
        _batch_id,
        _ingested_at
    from parsed
)

select * from final
