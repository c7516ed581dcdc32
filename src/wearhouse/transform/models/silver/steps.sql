-- One row per device per timestamp (per-minute counts); a count sent twice keeps the first ingested.
-- Incremental: the new readings compete with the rows already stored under the same key, so the
-- first ingested wins exactly as in a full refresh; the winners replace those keys.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['device_id', 'ts']) }}

with valid as not materialized (
    select * from {{ ref('int_steps_validated') }}
    where _reject_reason is null
),

candidates as not materialized (
    select device_id, user_id, ts, steps, _source, _batch_id, _ingested_at
    from valid
    {%- if is_incremental() %}
    union all
    select device_id, user_id, ts, steps, source as _source, _batch_id, _ingested_at
    from {{ this }}
    semi join valid using (device_id, ts)
    {%- endif %}
),

{{ keep_first('deduplicated', 'candidates', ['device_id', 'ts'], '_ingested_at, _batch_id, steps') }},

final as (
    select
        device_id,
        user_id,
        ts,
        steps,
        _source as source,
        _batch_id,
        _ingested_at
    from deduplicated
)

select * from final
