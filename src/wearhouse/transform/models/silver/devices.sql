-- One row per device: its latest registration (a device sold on moves to its new user).
with registrations as (
    select * from {{ ref('int_devices_validated') }}
    where _reject_reason is null
),

latest as (
    select *
    from registrations
    qualify row_number() over (
        partition by device_id
        order by registered_at desc nulls last, _ingested_at, _batch_id, _payload
    ) = 1
),

final as (
    select
        device_id,
        user_id,
        mac_address,
        model,
        kind,
        -- Worn devices measure better than phones: a minute counted by both is taken from the worn one.
        case when kind = 'phone' then 2 else 1 end as priority,
        registered_at,
        _ingested_at
    from latest
)

select * from final
