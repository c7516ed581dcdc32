-- One row per device per timestamp; a reading sent twice keeps the first ingested.
-- Incremental: the new readings compete with the rows already stored under the same key, so the
-- first ingested wins exactly as in a full refresh; the winners replace those keys.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['device_id', 'ts']) }}

with valid as not materialized (
    select * from {{ ref('int_heart_rate_validated') }}
    where _reject_reason is null
),

candidates as not materialized (
    select device_id, user_id, ts, bpm, confidence, activity_id, lat, lon, _source, _batch_id, _ingested_at
    from valid
    {%- if is_incremental() %}
    union all
    select device_id, user_id, ts, bpm, confidence, activity_id, lat, lon, source as _source, _batch_id, _ingested_at
    from {{ this }}
    semi join valid using (device_id, ts)
    {%- endif %}
),

{{ keep_first('deduplicated', 'candidates', ['device_id', 'ts'], '_ingested_at, _batch_id, bpm, confidence') }},

final as (
    select
        device_id,
        user_id,
        ts,
        bpm,
        confidence,
        activity_id,
        lat,
        lon,
        _source as source,
        _batch_id,
        _ingested_at
    from deduplicated
)

select * from final
