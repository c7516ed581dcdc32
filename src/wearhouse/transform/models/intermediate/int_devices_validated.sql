-- Every device registration with the reason it is rejected (null when valid).
with registrations as (
    select * from {{ ref('stg_bronze__devices') }}
),

checked as (
    select
        *,
        case
            when device_id is null then 'device_id is missing'
            when user_id is null then 'user_id is missing: a device is registered to a user'
            when registered_at is null and registered_at_text is not null
                then 'registered_at ''' || registered_at_text
                    || ''' is not an ISO 8601 timestamp or epoch seconds'
        end as _reject_reason
    from registrations
)

select * from checked
