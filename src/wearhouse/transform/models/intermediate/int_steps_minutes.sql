-- Steps per user and minute, from the highest-priority device that counted that minute.
-- Incremental: the user-days with new step counts are deleted and computed again.
-- depends_on: {{ ref('int_affected_user_days') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_affected_user_days('cast(target.minute as date)', 'target.minute', causes=['new_steps', 'rebuilt']) }}"
) }}

with steps as (
    select user_id, device_id, date_trunc('minute', ts) as minute, steps
    from {{ ref('steps') }}
    {%- if is_incremental() %}
    where {{ is_affected('user_id', 'cast(ts as date)', 'ts', causes=['new_steps', 'rebuilt']) }}
    {%- endif %}
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
{{ clustered_by('minute') }}
