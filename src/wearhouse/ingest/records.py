"""Checking one raw record against its stream contract, the step every ingestion path shares."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from wearhouse.contracts import STREAMS, describe, field_path, relevant_errors

READING_STREAMS = ("heart_rate", "steps")


class RecordError(ValueError):
    """A record that breaks its stream contract; `field` names the first bad field, if any."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field


@dataclass(frozen=True, slots=True)
class Checked:
    """A record that passed its contract: the verbatim JSON text and how many readings it holds."""

    payload: str
    readings: int


def check(stream: str, raw: bytes | str) -> Checked:
    """Validate one record's JSON text; raises RecordError with a reason that says what to fix."""
    model = STREAMS[stream]
    try:
        record = model.model_validate_json(raw)
    except ValidationError as exc:
        raise RecordError(_reason(exc, stream), _field(exc, stream)) from None
    metrics = getattr(getattr(record, "root", record), "metrics", None)
    readings = len(metrics) if stream in READING_STREAMS and metrics is not None else 1
    text = raw.decode() if isinstance(raw, bytes) else raw
    return Checked(text, readings)


NOT_AN_OBJECT = {"model_type", "model_attributes_type", "dict_type"}


def _reason(exc: ValidationError, stream: str) -> str:
    items = exc.errors()
    if any(e["type"] == "json_invalid" for e in items):
        detail = items[0]["msg"].removeprefix("Invalid JSON: ")
        return f"not valid JSON ({detail}): send one JSON object per record"
    if all(e["type"] in NOT_AN_OBJECT and len(e["loc"]) <= 1 for e in items):
        return "not a JSON object: each record must be a JSON object {...}"
    return describe(exc, stream=stream)


def _field(exc: ValidationError, stream: str) -> str | None:
    items, _ = relevant_errors(exc, stream)
    loc = items[0]["loc"] if items else ()
    if not loc:
        return None
    return field_path(loc)
