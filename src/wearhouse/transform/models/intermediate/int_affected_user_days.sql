-- The user-days an incremental run recomputes: those the new bronze readings fall on (duplicates
-- and rejected readings included, so a rerun after a crash recomputes the same days), the days
-- new sleeps and workout events touch, the rebuild range for every user; each with the day after,
-- whose sleep may have begun the evening before. Empty on a full refresh, which recomputes all.
-- The per-day aggregates recompute every row; the models over readings only the rows whose cause
-- reaches them (a new sleep re-flags heart-rate minutes but changes no step count), by the
-- columns new_heart_rate, new_steps, new_sleeps, new_workouts and rebuilt (false on the day
-- after, unless a cause of its own falls on it), and heart_rate_minutes_from/_to.
with heart_rate_days as (
    select distinct user_id, cast(ts as date) as day
    from {{ ref('int_heart_rate_validated') }}
    where user_id is not null and ts is not null
),

steps_days as (
    select distinct user_id, cast(ts as date) as day
    from {{ ref('int_steps_validated') }}
    where user_id is not null and ts is not null
),

-- A new sleep can change which readings count as asleep wherever it lies, or an earlier version of
-- it (same device and start), or any sleep of the user that woke up on the same day as one of
-- those versions (the counted sleeps of a night are chosen among them by device priority).
sleeps as (
    select user_id, device_id, start_ts, end_ts, _batch_id
    from {{ ref('int_sleeps_validated') }}
    where user_id is not null
        and start_ts <= end_ts
        and end_ts - start_ts < interval '24 hours'
),

new_sleep_keys as (
    select distinct device_id, start_ts
    from sleeps
    where _batch_id in (select _batch_id from {{ new_bronze('sleeps') }})
),

changed_nights as (
    select distinct sleeps.user_id, cast(sleeps.end_ts as date) as sleep_day
    from sleeps
    semi join new_sleep_keys using (device_id, start_ts)
),

night_sleeps as (
    select sleeps.user_id, sleeps.start_ts, sleeps.end_ts
    from sleeps
    semi join changed_nights
        on sleeps.user_id = changed_nights.user_id
        and cast(sleeps.end_ts as date) = changed_nights.sleep_day
),

-- Each calendar day such a sleep touches, with the whole minutes of that day it covers.
sleep_days as (
    select
        user_id,
        day,
        greatest(date_trunc('minute', start_ts), cast(day as timestamptz)) as span_start,
        least(
            date_trunc('minute', end_ts) + interval 1 minute, cast(day as timestamptz) + interval 1 day
        ) as span_end
    from (
        select
            user_id,
            start_ts,
            end_ts,
            cast(unnest(generate_series(cast(start_ts as date), cast(end_ts as date), interval 1 day)) as date)
                as day
        from night_sleeps
    )
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
    from (select distinct user_id from {{ ref('devices') }}) as users
    cross join {{ source('run', 'parameters') }} as run
    where run.rebuild_start is not null
),

touched as (
    select
        user_id,
        day,
        'heart_rate' as cause,
        cast(null as timestamptz) as span_start,
        cast(null as timestamptz) as span_end
    from heart_rate_days
    union all
    select user_id, day, 'steps' as cause, null, null from steps_days
    union all
    select user_id, day, 'sleeps' as cause, span_start, span_end from sleep_days
    union all
    select user_id, day, 'workouts' as cause, null, null from workout_days
    union all
    select user_id, day, 'rebuilt' as cause, null, null from rebuilt_days
),

flagged as (
    select
        user_id,
        day,
        bool_or(cause = 'heart_rate') as new_heart_rate,
        bool_or(cause = 'steps') as new_steps,
        bool_or(cause = 'sleeps') as new_sleeps,
        bool_or(cause = 'workouts') as new_workouts,
        bool_or(cause = 'rebuilt') as rebuilt,
        min(span_start) as sleeps_from,
        max(span_end) as sleeps_to
    from (
        select user_id, day, cause, span_start, span_end from touched
        union all
        select user_id, cast(day + interval 1 day as date) as day, 'day after' as cause, null, null
        from touched
    )
    {%- if flags.FULL_REFRESH %}
    where false
    {%- endif %}
    group by user_id, day
),

final as (
    select
        user_id,
        day,
        new_heart_rate,
        new_steps,
        new_sleeps,
        new_workouts,
        rebuilt,
        -- The span of heart-rate minutes to compute again: the whole day when it has new
        -- readings or is rebuilt, else the minutes its changed nights' sleeps cover.
        case
            when new_heart_rate or rebuilt then cast(day as timestamptz) else sleeps_from
        end as heart_rate_minutes_from,
        case
            when new_heart_rate or rebuilt then cast(day as timestamptz) + interval 1 day else sleeps_to
        end as heart_rate_minutes_to
    from flagged
)

select * from final
