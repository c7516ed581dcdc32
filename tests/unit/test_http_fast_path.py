"""The msgspec fast path of HTTP bodies: never laxer than the stream contracts, records kept as sent.

`all_valid` checks a whole JSON array with msgspec Structs derived from the pydantic models; every
record it accepts must be accepted by its model, and its payload must be the record's bytes as
they were in the body. Records are written here as JSON text, so that number spellings, escapes,
whitespace, duplicate keys and invalid UTF-8 that no JSON library would produce are covered too.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from test_contracts import _variants

from wearhouse.contracts import STREAMS
from wearhouse.contracts.examples import EXAMPLES
from wearhouse.contracts.fast import _struct, _struct_type, record_structs
from wearhouse.ingest.http_records import all_valid


def _model_accepts(stream: str, text: bytes) -> bool:
    try:
        STREAMS[stream].model_validate_json(text)
    except ValidationError:
        return False
    return True


def _assert_never_laxer(stream: str, records: list[bytes], separator: bytes = b",") -> bool:
    """If the fast path takes the array (or the lone record, sent as the whole body), each record
    passes its model and is kept byte for byte; returns whether the fast path took the array."""
    if len(records) == 1 and (alone := all_valid(stream, b" \n" + records[0] + b"\r\n")):
        assert _model_accepts(stream, records[0]), records[0]
        assert [p.encode() for p in alone.payloads] == records
    parsed = all_valid(stream, b"[" + separator.join(records) + b"]")
    if parsed is None:
        return False
    for record in records:
        assert _model_accepts(stream, record), record
    assert [p.encode() for p in parsed.payloads] == records
    return True


@pytest.mark.parametrize(("stream", "record"), _variants())
def test_the_contract_test_cases_never_pass_the_fast_path_alone(
    stream: str, record: dict[str, Any]
) -> None:
    for text in (orjson.dumps(record), orjson.dumps(record, option=orjson.OPT_INDENT_2)):
        _assert_never_laxer(stream, [text], b" , ")


def test_the_fast_path_takes_valid_arrays_of_every_stream() -> None:
    singles = {
        "heart_rate": b'{"device_id": 17, "ts": 1791072000.5, "bpm": 72, "confidence": null}',
        "steps": b'{"device_id":"d1","ts":"2026-10-02 07:30:00+02:00","steps":12,"note":"\xc3\xa9"}',
    }
    for stream, example in EXAMPLES.items():
        assert _assert_never_laxer(stream, [orjson.dumps(example)] * 3), stream
    for stream, text in singles.items():
        assert _assert_never_laxer(stream, [text, text]), stream


def test_buckets_count_their_readings() -> None:
    bucket = orjson.dumps(EXAMPLES["heart_rate"])
    parsed = all_valid("heart_rate", b"[" + bucket + b"," + bucket + b"]")
    assert parsed is not None and parsed.readings == 4
    alone = all_valid("heart_rate", bucket)
    assert alone is not None and (alone.payloads, alone.readings) == ([bucket.decode()], 2)


def test_bodies_the_fast_path_leaves_to_the_models() -> None:
    reading = b'{"device_id":"d1","ts":1791072000,"bpm":72'
    assert all_valid("heart_rate", b"[]") is None  # no records: the models' path says so
    assert all_valid("heart_rate", b"[" + reading + b',"x":"\xff"}]') is None  # not UTF-8
    assert all_valid("heart_rate", b"[" + reading + b',"metrics":[]}]') is None  # counted there
    # Numbers pydantic would read as epoch milliseconds, and numeric strings, are its to judge.
    assert all_valid("heart_rate", b'[{"device_id":"d1","ts":20000000001,"bpm":72}]') is None
    assert all_valid("heart_rate", b'[{"device_id":"d1","ts":1791072000,"bpm":"72"}]') is None


class _Capped(BaseModel):
    model_config = ConfigDict(str_max_length=8)
    device_id: str


class _Aliased(BaseModel):
    device_id: str = Field(alias="deviceId")


def test_what_a_struct_cannot_reproduce_is_refused() -> None:
    with pytest.raises(TypeError, match="no msgspec equivalent"):
        _struct_type(bytes, [], {})
    with pytest.raises(TypeError, match="str_max_length"):
        _struct(_Capped)
    with pytest.raises(TypeError, match="aliases"):
        _struct(_Aliased)
    assert all(record_structs(stream) for stream in STREAMS)


# Text fragments of JSON values, many invalid for one field or another, some not JSON at all.
NUMBERS = [b"0", b"-0", b"1", b"3", b"4", b"-1", b"72", b"72.5", b"1e2", b"1E400", b"-1e400",
           b"2.0", b"3.0", b"1791072000", b"1791072000.25", b"20000000000", b"20000000001",
           b"-20000000000", b"1e10", b"253402300799", b"123456789012345678901234567890",
           b"0.1e-400", b"01", b"1.", b".5", b"+1", b"NaN", b"Infinity"]  # fmt: skip
TEXTS = [b'""', b'"x"', b'" "', b'"d1"', b'"\\u0041"', b'"\\ud83d\\ude00"', b'"\\ud800"',
         b'"\\udc00"', b'"\xff"', b'"\xed\xa0\x80"', b'"\xc3\xa9"', b'"a\tb"', b'"\\/"',
         b'"create"', b'"Create"', b'"start"', b'"stop"', b'"1990-04-12"', b'"1990-02-30"',
         b'"1791072000"', b'"72"', b'"true"']  # fmt: skip
OTHERS = [b"null", b"true", b"false", b"[]", b"{}", b"[{}]", b"[{},{}]", b"[1]", b'[{"ts":1}]',
          b"[{},]", b'{"a":[1,{"b":null}]}', b"nul", b"[", b"}"]  # fmt: skip
DATETIMES = st.from_regex(
    r"\A\"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,12})?)?"
    r"([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?)?\"\Z"
).map(str.encode)
VALUES = st.one_of(
    st.sampled_from(NUMBERS + TEXTS + OTHERS),
    DATETIMES,
    st.integers(-(10**21), 10**21).map(lambda i: str(i).encode()),
    st.floats(allow_nan=False, allow_infinity=False).map(orjson.dumps),
    st.text(max_size=8).map(lambda s: orjson.dumps(s)),
)
SPACES = st.sampled_from([b""] * 6 + [b" ", b"\n", b"\t", b"\r\n", b"  "])
NOT_SPACES = [b"\x0c", b"\xc2\xa0", b"\x00", b"\x0b"]


@st.composite
def records(draw: st.DrawFn, stream: str) -> bytes:
    """A JSON-ish object text: the fields of a shape of the stream with good values but up to
    two drawn from anything (valid or not, spelled in any way), maybe a field dropped or doubled,
    maybe keys the stream does not know."""
    struct = draw(st.sampled_from(record_structs(stream)))
    names = list(struct.__struct_fields__)
    fields = {name: _good_value(name) for name in names}
    for name in draw(st.lists(st.sampled_from(names), max_size=2)):
        fields[name] = draw(VALUES)
    if not draw(st.integers(0, 3)):
        del fields[draw(st.sampled_from(names))]
    pairs = list(fields.items())
    extras = st.sampled_from(["note", "metrics", "\\u0074s", *names])
    for name in draw(st.lists(extras, max_size=2)):
        pairs.insert(draw(st.integers(0, len(pairs))), (name, draw(VALUES)))
    parts = []
    for name, value in pairs:
        key = orjson.dumps(name) if "\\" not in name else f'"{name}"'.encode()
        parts.append(key + draw(SPACES) + b":" + draw(SPACES) + value)
    text = b"{" + draw(SPACES) + b",".join(parts) + draw(SPACES) + b"}"
    if not draw(st.integers(0, 7)):  # a character that only looks like whitespace, somewhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(NOT_SPACES)) + text[at:]
    return text


def _good_value(name: str) -> bytes:
    """A value the field accepts, so that records are often valid but for one field."""
    good = {"op": b'"update"', "action": b'"stop"', "metrics": b"[{},{}]", "dob": b'"1990-04-12"'}
    if name in good:
        return good[name]
    if name in ("bpm", "steps", "height_cm", "weight_kg", "confidence", "lat", "lon"):
        return b"2"
    if name.endswith(("_at", "ts", "login", "logout")):
        return b'"2026-10-02T07:30:00Z"'
    return b'"id1"'


@pytest.mark.parametrize("stream", list(STREAMS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_fast_path_never_takes_a_record_its_model_rejects(stream: str, data: Any) -> None:
    batch = data.draw(st.lists(records(stream), min_size=1, max_size=2))
    _assert_never_laxer(stream, batch, data.draw(SPACES) + b"," + data.draw(SPACES))


def test_the_raw_splitter_keeps_what_lies_between_the_separators() -> None:
    raws = msgspec.json.decode(b'[ {"a" : 1}\n,\t"x" ,2]', type=list[msgspec.Raw])
    assert [bytes(r) for r in raws] == [b'{"a" : 1}', b'"x"', b"2"]
