-- One row per user profile version, without names, e-mail or exact birth date.
with versions as (
    select * from {{ ref('users') }}
),

final as (
    select
        md5(user_id || '|' || cast(valid_from as varchar)) as user_key,
        user_id,
        gender,
        -- The age group when this version became valid: stable across rebuilds.
        {{ age_group(age_years('dob', 'cast(valid_from as date)')) }} as age_group,
        height_cm,
        weight_kg,
        city,
        state,
        country,
        timezone,
        valid_from,
        valid_to,
        is_current,
        is_deleted
    from versions
)

select * from final
