-- One row per device per timestamp; a reading sent twice keeps the first ingested.
-- Incremental: a new reading is written only when its key is new, or when it was ingested before
-- the row stored under its key (a late import of older data); the first ingested then wins
-- exactly as in a full refresh. A repeat of a stored reading writes nothing.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['device_id', 'ts']) }}
{#- The order that makes a copy the first: within the new readings and against the stored row. #}
{%- set first_by = ['_ingested_at', '_batch_id', 'bpm', 'confidence'] %}

with valid as not materialized (
    select device_id, user_id, ts, bpm, confidence, activity_id, lat, lon, _source, _batch_id, _ingested_at
    from {{ ref('int_heart_rate_validated') }}
    where _reject_reason is null
),

{{ keep_first('deduplicated', 'valid', ['device_id', 'ts'], first_by | join(', ')) }},

final as (
    select
        deduplicated.device_id,
        deduplicated.user_id,
        deduplicated.ts,
        deduplicated.bpm,
        deduplicated.confidence,
        deduplicated.activity_id,
        deduplicated.lat,
        deduplicated.lon,
        deduplicated._source as source,
        deduplicated._batch_id,
        deduplicated._ingested_at
    from deduplicated
    {%- if is_incremental() %}
    {{ unless_stored_first('deduplicated', ['device_id', 'ts'], first_by) }}
    {%- endif %}
)

select * from final
