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


def test_an_array_of_readings_keeps_each_record_as_compact_json() -> None:
    records = [READING, {**READING, "bpm": 80, "extra": "kept"}]
    parsed = parse("heart_rate", orjson.dumps(records, option=orjson.OPT_INDENT_2), None, "t")
    assert parsed.payloads == [orjson.dumps(r).decode() for r in records]
    assert (parsed.readings, parsed.errors, parsed.rejected) == (2, [], [])


def test_a_bucket_counts_its_metrics() -> None:
    parsed = parse("heart_rate", orjson.dumps([READING, BUCKET]), "application/json", "t")
    assert parsed.readings == 3


def test_a_bucket_whose_key_is_spelled_with_escapes_counts_its_metrics() -> None:
    body = orjson.dumps([BUCKET]).replace(b'"metrics"', b'"\\u006detrics"')
    parsed = parse("heart_rate", body, "application/json", "t")
    assert parsed.readings == 2
    assert parsed.payloads == [orjson.dumps(BUCKET).decode()]


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
