-- Every gym door event with the reason it is rejected (null when valid).
with events as (
    select * from {{ ref('stg_bronze__gym_visits') }}
),

checked as (
    select
        *,
        case
            when mac_address is null or gym_id is null then 'mac_address and gym_id are both required'
            when login is null
                then 'login ' || coalesce('''' || login_text || '''', 'is missing')
                    || ': send an ISO 8601 timestamp or epoch seconds'
            when logout is null and logout_text is not null
                then 'logout ''' || logout_text || ''' is not an ISO 8601 timestamp or epoch seconds'
            when logout < login then 'logout (' || logout || ') is before login (' || login || ')'
            when {{ too_far_ahead('coalesce(logout, login)', '_ingested_at') }}
                then 'login or logout is more than {{ var("future_tolerance_hours") }} hours '
                    || 'after the record was ingested: check the door clock'
        end as _reject_reason
    from events
)

select * from checked
