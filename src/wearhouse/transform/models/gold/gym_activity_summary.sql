-- One row per workout session that started inside a closed gym visit (login <= start <= logout).
with visits as (
    select * from {{ ref('gym_visits') }}
    where logout is not null
),

devices as (
    select device_id, user_id, mac_address from {{ ref('devices') }}
),

sessions as (
    select * from {{ ref('workout_sessions') }}
),

final as (
    select
        cast(visits.login as date) as date,
        visits.gym_id,
        visits.mac_address,
        devices.user_id,
        sessions.workout_id,
        sessions.session_id,
        visits.login,
        visits.logout,
        sessions.start_time,
        sessions.end_time,
        visits.minutes_in_gym,
        {{ minutes_between('sessions.start_time', 'sessions.end_time') }} as minutes_exercising
    from visits
    inner join devices on visits.mac_address = devices.mac_address
    inner join sessions
        on devices.user_id = sessions.user_id
        and sessions.start_time between visits.login and visits.logout
)

select * from final
