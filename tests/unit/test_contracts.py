"""The stream contracts: messages that say what to fix, and the fast batch path agreeing with them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from wearhouse.contracts import STREAMS
from wearhouse.contracts.examples import EXAMPLES
from wearhouse.contracts.fast import batch_validator
from wearhouse.ingest.records import RecordError, check

BAD_VALUES: list[Any] = [None, "", "x", -5, 1e9, [], {}, True, 12, "2026-13-40T00:00:00Z"]


def _variants() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    singles = {
        "heart_rate": {
            "device_id": "d1",
            "ts": "2026-10-02T07:30:00+02:00",
            "bpm": 72,
            "confidence": 2,
        },
        "steps": {"device_id": "d1", "ts": 1791072000, "steps": 12},
    }
    for stream, example in [*EXAMPLES.items(), *singles.items()]:
        cases.append((stream, example))
        for key in example:
            cases.append((stream, {k: v for k, v in example.items() if k != key}))
            cases.extend((stream, {**example, key: bad}) for bad in BAD_VALUES)
    return cases


def _valid(validate: Any, record: dict[str, Any]) -> bool:
    try:
        validate(record)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("stream", "record"), _variants())
def test_the_fast_batch_validator_agrees_with_the_model(
    stream: str, record: dict[str, Any]
) -> None:
    by_model = _valid(STREAMS[stream].model_validate, record)
    by_batch = _valid(lambda r: batch_validator(stream).validate_python([r]), record)
    assert by_model == by_batch


def test_every_example_is_valid() -> None:
    for stream, example in EXAMPLES.items():
        STREAMS[stream].model_validate(example)


def test_a_numeric_id_is_taken_as_its_decimal_string() -> None:
    record = STREAMS["devices"].model_validate({"device_id": 42, "user_id": 7})
    assert (record.device_id, record.user_id) == ("42", "7")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("raw", "field", "says"),
    [
        ('{"device_id": "d", "ts": "x", "bpm": 70}', "ts", "valid datetime"),
        (
            '{"device_id": "d"}',
            "ts",
            "a reading needs ts + bpm; a bucket needs created_at, ended_at, metrics",
        ),
        (
            '{"device_id": "d", "created_at": 1, "ended_at": 2, "metrics": "no"}',
            "metrics",
            "valid array",
        ),
        ('{"ts": 1, "bpm": 70}', "device_id", "device_id: Field required"),
        ("[1]", None, "not a JSON object"),
        ("not json", None, "not valid JSON"),
    ],
)
def test_a_bad_heart_rate_record_names_the_field_and_the_fix(
    raw: str, field: str | None, says: str
) -> None:
    with pytest.raises(RecordError) as caught:
        check("heart_rate", raw)
    assert caught.value.field == field
    assert says in str(caught.value)


def test_a_bucket_counts_its_readings() -> None:
    checked = check(
        "heart_rate", '{"device_id": "d", "created_at": 1, "ended_at": 2, "metrics": [{}, {}, {}]}'
    )
    assert checked.readings == 3
