-- SCD type 2 history of user profiles: one row per user per change (user_id, valid_from).
-- A change that leaves a field out keeps that field's previous value.
with changes as (
    select * from {{ ref('int_users_validated') }}
    where _reject_reason is null
),

deduplicated as (
    select *
    from changes
    qualify row_number() over (
        partition by user_id, updated_at order by _ingested_at, _batch_id, _payload
    ) = 1
),

carried as (
    select
        user_id,
        op,
        updated_at as valid_from,
        {%- for field in ['dob', 'gender', 'height_cm', 'weight_kg', 'email', 'first_name',
                          'last_name', 'city', 'state', 'country', 'timezone'] %}
        last_value({{ field }} ignore nulls) over history as {{ field }},
        {%- endfor %}
        _ingested_at
    from deduplicated
    window history as (
        partition by user_id order by updated_at rows between unbounded preceding and current row
    )
),

final as (
    select
        user_id,
        dob,
        gender,
        height_cm,
        weight_kg,
        email,
        first_name,
        last_name,
        city,
        state,
        country,
        timezone,
        valid_from,
        lead(valid_from) over (partition by user_id order by valid_from) as valid_to,
        lead(valid_from) over (partition by user_id order by valid_from) is null as is_current,
        op = 'delete' as is_deleted,
        _ingested_at
    from carried
)

select * from final
