-- Steps per user and minute, from the highest-priority device that counted that minute.
with steps as (
    select user_id, device_id, date_trunc('minute', ts) as minute, steps
    from {{ ref('steps') }}
),

per_device as (
    select user_id, device_id, minute, sum(steps) as steps
    from steps
    group by user_id, device_id, minute
),

prioritized as (
    select per_device.*, devices.priority
    from per_device
    inner join {{ ref('devices') }} as devices on per_device.device_id = devices.device_id
    qualify row_number() over (
        partition by per_device.user_id, per_device.minute order by devices.priority, per_device.device_id
    ) = 1
),

final as (
    select user_id, device_id, minute, steps
    from prioritized
)

select * from final
