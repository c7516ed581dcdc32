-- One row per gym door event.
with bronze as (
    select payload, _source, _batch_id, _ingested_at
    from {{ source('bronze', 'gym_visits') }}
),

parsed as (
    select
        from_json(
            payload,
            '{"mac_address": "VARCHAR", "gym_id": "VARCHAR", "login": "VARCHAR", "logout": "VARCHAR"}'
        ) as record,
        payload,
        _source,
        _batch_id,
        _ingested_at
    from bronze
),

final as (
    select
        lower(trim(record.mac_address)) as mac_address,
        record.gym_id,
        record.login as login_text,
        {{ parse_ts('record.login') }} as login,
        record.logout as logout_text,
        {{ parse_ts('record.logout') }} as logout,
        payload as _payload,
        _source,
        _batch_id,
        _ingested_at
    from parsed
)

select * from final
