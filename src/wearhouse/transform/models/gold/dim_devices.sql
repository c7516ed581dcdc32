-- One row per device.
with devices as (
    select * from {{ ref('devices') }}
),

final as (
    select device_id, user_id, mac_address, model, kind, registered_at
    from devices
)

select * from final
