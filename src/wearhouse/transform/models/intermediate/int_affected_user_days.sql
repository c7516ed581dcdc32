-- The user-days an incremental run recomputes: those the new bronze readings fall on (duplicates
-- and rejected readings included, so a rerun after a crash recomputes the same days), the days
-- new sleeps and workout events touch, the rebuild range for every user; each with the day after,
-- whose sleep may have begun the evening before. Empty on a full refresh, which recomputes all.
with reading_days as (
    select user_id, cast(ts as date) as day
    from {{ ref('int_heart_rate_validated') }}
    where user_id is not null and ts is not null
    union
    select user_id, cast(ts as date) as day
    from {{ ref('int_steps_validated') }}
    where user_id is not null and ts is not null
),

devices as (
    select device_id, user_id from {{ ref('devices') }}
),

new_sleeps as (
    select devices.user_id, sleeps.start_ts, sleeps.end_ts
    from {{ ref('stg_bronze__sleeps') }} as sleeps
    inner join devices on sleeps.device_id = devices.device_id
    where sleeps._batch_id in (select _batch_id from {{ new_bronze('sleeps') }})
        and sleeps.start_ts <= sleeps.end_ts
        and sleeps.end_ts - sleeps.start_ts < interval '24 hours'
),

sleep_days as (
    select
        user_id,
        cast(unnest(generate_series(cast(start_ts as date), cast(end_ts as date), interval 1 day)) as date)
            as day
    from new_sleeps
),

-- A workout session lasts at most workout_max_hours: an event can only change sessions that lie
-- within that many hours of it.
new_workout_events as (
    select
        user_id,
        ts - interval '{{ var("workout_max_hours") }} hours' as window_start,
        ts + interval '{{ var("workout_max_hours") }} hours' as window_end
    from {{ ref('stg_bronze__workouts') }}
    where _batch_id in (select _batch_id from {{ new_bronze('workouts') }})
        and user_id is not null and ts is not null
),

workout_days as (
    select
        user_id,
        cast(unnest(generate_series(cast(window_start as date), cast(window_end as date), interval 1 day)) as date)
            as day
    from new_workout_events
),

rebuilt_days as (
    select
        users.user_id,
        cast(unnest(generate_series(run.rebuild_start, run.rebuild_end, interval 1 day)) as date) as day
    from (select distinct user_id from devices) as users
    cross join {{ source('run', 'parameters') }} as run
    where run.rebuild_start is not null
),

touched as (
    select * from reading_days
    union all
    select * from sleep_days
    union all
    select * from workout_days
    union all
    select * from rebuilt_days
),

final as (
    select distinct user_id, day
    from (
        select user_id, day from touched
        union all
        select user_id, cast(day + interval 1 day as date) as day from touched
    )
    {%- if flags.FULL_REFRESH %}
    where false
    {%- endif %}
)

select * from final
