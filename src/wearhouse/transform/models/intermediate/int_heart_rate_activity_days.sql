-- Heart rate per user, day and activity, over readings tagged with an activity: the part of gold
-- heart_rate_by_activity that scans readings. Incremental: the user-days with new readings
-- computed again.
-- depends_on: {{ ref('int_affected_user_days') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_affected_user_days('target.day', causes=['new_heart_rate', 'rebuilt']) }}"
) }}

with readings as (
    select user_id, activity_id, bpm, cast(ts as date) as day
    from {{ ref('heart_rate') }}
    where activity_id is not null
    {%- if is_incremental() %}
        and {{ is_affected('user_id', 'cast(ts as date)', 'ts', causes=['new_heart_rate', 'rebuilt']) }}
    {%- endif %}
),

final as (
    select
        user_id,
        day,
        activity_id,
        -- Exact, so that sums over days give the same bits as one sum over the readings.
        sum(cast(bpm as decimal(38, 6))) as bpm_sum,
        min(bpm) as min_bpm,
        max(bpm) as max_bpm,
        count(*) as readings
    from readings
    group by user_id, day, activity_id
)

select * from final
