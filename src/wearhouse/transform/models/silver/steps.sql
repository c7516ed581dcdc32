-- One row per device per timestamp (per-minute counts); a count sent twice keeps the first ingested.
-- Incremental: a new count is written only when its key is new, or when it was ingested before the
-- row stored under its key; the first ingested then wins exactly as in a full refresh.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['device_id', 'ts']) }}
{#- The order that makes a copy the first: within the new readings and against the stored row. #}
{%- set first_by = ['_ingested_at', '_batch_id', 'steps'] %}

with valid as not materialized (
    select device_id, user_id, ts, steps, _source, _batch_id, _ingested_at
    from {{ ref('int_steps_validated') }}
    where _reject_reason is null
),

{{ keep_first('deduplicated', 'valid', ['device_id', 'ts'], first_by | join(', ')) }},

final as (
    select
        deduplicated.device_id,
        deduplicated.user_id,
        deduplicated.ts,
        deduplicated.steps,
        deduplicated._source as source,
        deduplicated._batch_id,
        deduplicated._ingested_at
    from deduplicated
    {%- if is_incremental() %}
    {{ unless_stored_first('deduplicated', ['device_id', 'ts'], first_by) }}
    {%- endif %}
)

select * from final
{{ clustered_by('ts') }}
