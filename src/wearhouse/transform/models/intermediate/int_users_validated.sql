-- Every profile change with the reason it is rejected (null when valid).
with changes as (
    select * from {{ ref('stg_bronze__users') }}
),

checked as (
    select
        *,
        case
            when user_id is null then 'user_id is missing'
            when op is null or op not in ('create', 'update', 'delete')
                then 'op ' || coalesce('''' || op || '''', 'is missing') || ': use create, update or delete'
            when updated_at is null
                then 'updated_at ' || coalesce('''' || updated_at_text || '''', 'is missing')
                    || ': send an ISO 8601 timestamp or epoch seconds'
            when {{ too_far_ahead('updated_at', '_ingested_at') }}
                then 'updated_at ' || updated_at || ' is more than {{ var("future_tolerance_hours") }} hours '
                    || 'after the record was ingested: check the app clock'
        end as _reject_reason
    from changes
)

select * from checked
