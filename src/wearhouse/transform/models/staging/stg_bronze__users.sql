-- One row per profile change, fields typed; absent fields stay null.
with bronze as (
    select payload, _source, _batch_id, _ingested_at
    from {{ source('bronze', 'users') }}
),

parsed as (
    select
        from_json(
            payload,
            '{"user_id": "VARCHAR", "op": "VARCHAR", "updated_at": "VARCHAR", "dob": "VARCHAR",
              "gender": "VARCHAR", "height_cm": "DOUBLE", "weight_kg": "DOUBLE", "email": "VARCHAR",
              "first_name": "VARCHAR", "last_name": "VARCHAR", "city": "VARCHAR", "state": "VARCHAR",
              "country": "VARCHAR", "timezone": "VARCHAR"}'
        ) as record,
        payload,
        _source,
        _batch_id,
        _ingested_at
    from bronze
),

final as (
    select
        record.user_id,
        lower(trim(record.op)) as op,
        record.updated_at as updated_at_text,
        {{ parse_ts('record.updated_at') }} as updated_at,
        coalesce(try_cast(record.dob as date), try_strptime(record.dob, '%m/%d/%Y')::date) as dob,
        -- Exports carry stray non-breaking spaces ('male\xa0'); case is not meaningful.
        nullif(lower(trim(regexp_replace(record.gender, '[\s\x{00a0}]+', ' ', 'g'))), '') as gender,
        record.height_cm,
        record.weight_kg,
        record.email,
        record.first_name,
        record.last_name,
        record.city,
        record.state,
        record.country,
        record.timezone,
        payload as _payload,
        _source,
        _batch_id,
        _ingested_at
    from parsed
)

select * from final
