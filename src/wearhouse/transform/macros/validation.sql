{#-
  The reason a device reading is rejected, or null: the checks every reading stream shares
  (device, timestamp, not in the future, known device) around the stream's own value check.
  `value` is the value column, `low`/`high` its inclusive range, `what` how the reason names it.
-#}
{% macro reading_reject_reason(value, low, high, what, measured) -%}
    case
        when readings.device_id is null
            then 'device_id is missing: send the id of the device that {{ measured }}'
        when readings.ts is null
            then 'ts ' || coalesce('''' || readings.ts_text || '''', 'is missing')
                || ': send an ISO 8601 timestamp or epoch seconds'
        when readings.{{ value }} is null then '{{ value }} is missing or not a number'
        when readings.{{ value }} < {{ low }} or readings.{{ value }} > {{ high }}
            then '{{ value }} ' || readings.{{ value }} || ' is outside {{ low }}-{{ high }}{{ what }}'
        when {{ too_far_ahead('readings.ts', 'readings._ingested_at') }}
            then 'ts ' || readings.ts || ' is more than {{ var("future_tolerance_hours") }} hours '
                || 'after the record was ingested: check the device clock'
        when devices.device_id is null
            then 'unknown device ' || readings.device_id || ': register it on the devices stream'
    end
{%- endmacro %}

{#-
  The rows of the int_<stream>_validated models that carry a reject reason, as quarantine lists
  them: `per_stream` maps a stream to the SQL expression of the payload to show for a row.
-#}
{% macro rejected_rows(per_stream) -%}
    {%- for stream, payload in per_stream.items() %}
    select
        '{{ stream }}' as stream,
        cast({{ payload }} as varchar) as payload,
        _reject_reason as reason,
        _source as source,
        _batch_id,
        _ingested_at
    from {{ ref('int_' ~ stream ~ '_validated') }}
    where _reject_reason is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
