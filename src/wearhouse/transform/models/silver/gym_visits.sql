-- One row per gym visit (mac_address, gym_id, login); the latest logout wins, whatever order the
-- door events arrive in (a record without a logout never reopens a closed visit).
with events as (
    select * from {{ ref('int_gym_visits_validated') }}
    where _reject_reason is null
),

visits as (
    select
        mac_address,
        gym_id,
        login,
        max(logout) as logout,
        min(_ingested_at) as _ingested_at
    from events
    group by mac_address, gym_id, login
),

final as (
    select
        mac_address,
        gym_id,
        login,
        logout,
        {{ minutes_between('login', 'logout') }} as minutes_in_gym,
        _ingested_at
    from visits
)

select * from final
