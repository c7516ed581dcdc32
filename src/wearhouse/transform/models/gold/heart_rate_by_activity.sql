-- One row per month x activity x age group x gender x country, over readings tagged with an activity.
with readings as (
    select
        user_id,
        activity_id,
        bpm,
        cast(ts as date) as day,
        cast(date_trunc('month', ts) as date) as month
    from {{ ref('heart_rate') }}
    where activity_id is not null
),

activities as (
    select * from {{ ref('activities') }}
),

profiles as (
    select user_id, day, age_group, gender, country from {{ ref('int_user_days_profiled') }}
),

final as (
    select
        readings.month,
        readings.activity_id,
        coalesce(activities.name, 'unknown') as activity_name,
        activities.intensity,
        coalesce(profiles.age_group, 'unknown') as age_group,
        coalesce(profiles.gender, 'unknown') as gender,
        coalesce(profiles.country, 'unknown') as country,
        {{ exact_avg('readings.bpm') }} as avg_bpm,
        min(readings.bpm) as min_bpm,
        max(readings.bpm) as max_bpm,
        count(*) as readings,
        count(distinct readings.user_id) as users
    from readings
    left join activities on readings.activity_id = activities.activity_id
    left join profiles on readings.user_id = profiles.user_id and readings.day = profiles.day
    group by all
)

select * from final
