-- Per user and measured day: the profile version in effect at the end of that day (the first
-- version when the day precedes it), with the age group from the age on that day.
with days as (
    select user_id, day from {{ ref('int_user_days_measured') }}
),

versions as (
    select * from {{ ref('users') }}
),

first_versions as (
    select *
    from versions
    qualify row_number() over (partition by user_id order by valid_from) = 1
),

in_effect as (
    select
        days.user_id,
        days.day,
        versions.user_id as version_user_id,
        versions.dob,
        versions.gender,
        versions.city,
        versions.state,
        versions.country,
        versions.timezone,
        versions.valid_from
    from days
    asof left join versions
        on days.user_id = versions.user_id
        and cast(days.day + interval 1 day as timestamptz) > versions.valid_from
),

final as (
    select
        in_effect.user_id,
        in_effect.day,
        {%- for field in ['dob', 'gender', 'city', 'state', 'country', 'timezone', 'valid_from'] %}
        case when in_effect.version_user_id is null then first_versions.{{ field }} else in_effect.{{ field }} end
            as {{ field }},
        {%- endfor %}
        {{ age_group(age_years(
            'case when in_effect.version_user_id is null then first_versions.dob else in_effect.dob end',
            'in_effect.day'
        )) }} as age_group
    from in_effect
    left join first_versions on in_effect.user_id = first_versions.user_id
)

select * from final
