-- Records refused at the edge, already carrying their reason.
-- Only bronze rows not yet processed (all of them on a full refresh).
with bronze as (
    select payload, reason, _stream, _source, _batch_id, _ingested_at
    from {{ new_bronze('rejected') }}
),

final as (
    select _stream as stream, payload, reason, _source, _batch_id, _ingested_at
    from bronze
)

select * from final
