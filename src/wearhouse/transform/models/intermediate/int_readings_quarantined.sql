-- Rejected readings (heart rate, steps) and records refused at the edge, as silver.quarantine
-- lists them; appended run by run from the new bronze rows (these streams are too large to
-- re-validate whole), deduplicated by silver.quarantine.
{{ config(materialized='incremental', incremental_strategy='append') }}

{%- set per_stream = {
    'heart_rate': "coalesce(_payload, to_json(struct_pack(device_id := device_id, ts := ts_text, bpm := bpm, confidence := confidence)))",
    'steps': "coalesce(_payload, to_json(struct_pack(device_id := device_id, ts := ts_text, steps := steps_sent)))",
} %}
with rejected_readings as (
    {{- rejected_rows(per_stream) }}
),

rejected_at_edge as (
    select stream, payload, reason, _source as source, _batch_id, _ingested_at
    from {{ ref('stg_bronze__rejected') }}
),

rejected as (
    select * from rejected_readings
    union all
    select * from rejected_at_edge
),

-- A rerun after an interrupted run sees the same new bronze rows again: append them once.
final as (
    select *
    from rejected
    {%- if is_incremental() %}
    anti join {{ this }} as stored using (stream, payload, reason, _batch_id, _ingested_at)
    {%- endif %}
)

select * from final
