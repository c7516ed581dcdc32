"""Request bodies to checked records: payloads, reading counts and errors of the ingest route."""

from __future__ import annotations

import orjson
import pytest

from wearhouse.ingest.http_records import BodyError, parse

READING = {"device_id": "d1", "ts": "2026-10-02T07:30:00Z", "bpm": 72}
BUCKET = {
    "device_id": "d1",
    "created_at": "2026-10-02T07:00:00Z",
    "ended_at": "2026-10-02T11:00:00Z",
    "metrics": [{"ts": 1790000000, "bpm": 70}, {"ts": 1790000005, "bpm": 71}],
}


def test_an_array_of_readings_keeps_each_record_as_sent() -> None:
    records = [
        '{"device_id": "d1", "ts": "2026-10-02T07:30:00Z", "bpm": 72}',
        '{\n  "device_id":"d1","ts":"2026-10-02T07:30:05Z","bpm":80.0,"extra":"caf\\u00e9"\n}',
    ]
    parsed = parse("heart_rate", f"[\n {records[0]} ,{records[1]}\n]".encode(), None, "t")
    assert parsed.payloads == records
    assert (parsed.readings, parsed.errors, parsed.rejected) == (2, [], [])


def test_the_valid_records_of_a_mixed_array_are_kept_as_sent() -> None:
    good = '{ "device_id" : "d1", "ts": 1790000000, "bpm": 72 }'
    parsed = parse("heart_rate", f'[{good}, {{"device_id": 5}}]'.encode(), None, "t")
    assert parsed.payloads == [good]
    assert parsed.rejected[0][0] == '{"device_id": 5}'


def test_a_single_object_is_kept_as_sent() -> None:
    record = '{"device_id": "d1", "ts": "2026-10-02T07:30:00Z", "bpm": 72}'
    parsed = parse("heart_rate", f"  {record}\n".encode(), None, "t")
    assert (parsed.payloads, parsed.readings) == ([record], 1)


def test_a_bucket_counts_its_metrics() -> None:
    parsed = parse("heart_rate", orjson.dumps([READING, BUCKET]), "application/json", "t")
    assert parsed.readings == 3


def test_a_bucket_whose_key_is_spelled_with_escapes_counts_its_metrics() -> None:
    body = orjson.dumps([BUCKET]).replace(b'"metrics"', b'"\\u006detrics"')
    parsed = parse("heart_rate", body, "application/json", "t")
    assert parsed.readings == 2
    assert parsed.payloads == [body[1:-1].decode()]


def test_non_reading_streams_count_records() -> None:
    user = {"user_id": "u1", "op": "create", "updated_at": "2026-10-02T07:30:00Z"}
    parsed = parse("users", orjson.dumps([user, user]), None, "t")
    assert (len(parsed.payloads), parsed.readings) == (2, 2)


def test_a_mixed_array_reports_the_bad_record_by_index() -> None:
    parsed = parse("heart_rate", orjson.dumps([READING, {"device_id": "d1"}]), None, "POST x")
    assert parsed.payloads == [orjson.dumps(READING).decode()]
    [error] = parsed.errors
    assert error["index"] == 1
    [(payload, reason)] = parsed.rejected
    assert payload == '{"device_id":"d1"}' and reason.startswith("POST x record 1: ")


@pytest.mark.parametrize("media", ["application/json", "application/x-ndjson"])
def test_no_records_is_refused(media: str) -> None:
    with pytest.raises(BodyError) as caught:
        parse("heart_rate", b"[]" if media == "application/json" else b"\n\n", media, "t")
    assert (caught.value.status, caught.value.code) == (400, "empty_body")


def test_ndjson_lines_are_kept_byte_for_byte() -> None:
    line = b'{"device_id": "d1",  "ts": "2026-10-02T07:30:00Z", "bpm": 72}'
    parsed = parse("heart_rate", line + b"\n\n" + line, "application/x-ndjson", "t")
    assert parsed.payloads == [line.decode(), line.decode()]
    assert parsed.readings == 2


@pytest.mark.parametrize("depth", [100, 1000, 5000])
def test_deeply_nested_values_are_answered_not_crashed_on(depth: int) -> None:
    nested = b"[" * depth + b"]" * depth
    body = b'[{"device_id": "d1", "ts": 1790000000, "bpm": 72, "x": ' + nested + b"}]"
    try:
        parsed = parse("heart_rate", body, None, "t")
    except BodyError as exc:
        assert exc.code == "malformed_json"
    else:
        assert len(parsed.payloads) + len(parsed.rejected) == 1
