-- One row per month x activity x age group x gender x country, over readings tagged with an activity.
with activity_days as (
    select *, cast(date_trunc('month', day) as date) as month
    from {{ ref('int_heart_rate_activity_days') }}
),

activities as (
    select * from {{ ref('activities') }}
),

profiles as (
    select user_id, day, age_group, gender, country from {{ ref('int_user_days_profiled') }}
),

final as (
    select
        activity_days.month,
        activity_days.activity_id,
        coalesce(activities.name, 'unknown') as activity_name,
        activities.intensity,
        coalesce(profiles.age_group, 'unknown') as age_group,
        coalesce(profiles.gender, 'unknown') as gender,
        coalesce(profiles.country, 'unknown') as country,
        cast(sum(activity_days.bpm_sum) / sum(activity_days.readings) as double) as avg_bpm,
        min(activity_days.min_bpm) as min_bpm,
        max(activity_days.max_bpm) as max_bpm,
        cast(sum(activity_days.readings) as bigint) as readings,
        count(distinct activity_days.user_id) as users
    from activity_days
    left join activities on activity_days.activity_id = activities.activity_id
    left join profiles
        on activity_days.user_id = profiles.user_id and activity_days.day = profiles.day
    group by all
)

select * from final
