"""Request bodies to records: a JSON object, a JSON array or NDJSON, each record checked."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter

import msgspec
import orjson

from wearhouse.contracts.fast import array_decoders, record_decoders
from wearhouse.ingest.records import READING_STREAMS, RecordError, check

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
JSON_TYPES = (
    "application/json",
    "text/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "*/*",
    "",
)


class BodyError(ValueError):
    """The body as a whole cannot be read; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass
class ParsedBody:
    """Checked records of one request: payloads to commit, errors to report, rejects to keep."""

    payloads: list[str] = field(default_factory=list)
    readings: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)


def decode(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo Content-Encoding (gzip or identity) without ever holding more than `limit` bytes."""
    if len(body) > limit:
        raise BodyError(
            413,
            "body_too_large",
            f"the body is {len(body):,} bytes; send at most {limit:,} per request",
        )
    coding = (encoding or "identity").strip().lower()
    if coding == "identity":
        return body
    if coding not in ("gzip", "x-gzip"):
        raise BodyError(
            415,
            "unsupported_encoding",
            f"Content-Encoding {encoding!r} is not supported: use gzip or none",
        )
    return _gunzip(body, limit)


def _gunzip(body: bytes, limit: int) -> bytes:
    """Every gzip member of the body, in order; a truncated or corrupt stream is refused whole."""
    out: list[bytes] = []
    size, rest = 0, body
    while rest:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(rest, limit + 1 - size)
        except zlib.error as exc:
            raise BodyError(
                400,
                "bad_gzip",
                f"the body is not valid gzip ({exc}): compress it with gzip or drop Content-Encoding",
            ) from None
        size += len(data)
        if size > limit or inflater.unconsumed_tail:
            raise BodyError(
                413,
                "body_too_large",
                f"the body inflates to more than {limit:,} bytes; send smaller batches",
            )
        if not inflater.eof:
            raise BodyError(
                400,
                "bad_gzip",
                "the gzip body ends before its stream does: send the whole compressed body",
            )
        out.append(data)
        rest = inflater.unused_data
    return b"".join(out)


def parse(stream: str, body: bytes, content_type: str | None, where: str) -> ParsedBody:
    """Check every record of the body; `where` prefixes the reasons kept with rejected records."""
    media = (content_type or "application/json").split(";")[0].strip().lower()
    items: list[tuple[int, bytes]]
    if media in NDJSON_TYPES:
        # NDJSON indexes are 0-based line numbers, blank lines included, so they point at the line.
        items = [(i, line) for i, line in enumerate(body.splitlines()) if line.strip()]
    # curl -d sends application/x-www-form-urlencoded by default: its body is still our JSON.
    elif media in JSON_TYPES:
        if fast := all_valid(stream, body):
            return fast
        items = list(enumerate(_json_records(body)))
    else:
        raise BodyError(
            415,
            "unsupported_media_type",
            f"Content-Type {media!r} is not supported: send application/json or application/x-ndjson",
        )
    if not items:
        raise BodyError(
            400,
            "empty_body",
            "the body holds no records: send a JSON object, a JSON array of objects, or NDJSON",
        )
    parsed = ParsedBody()
    for index, raw in items:
        try:
            record = check(stream, raw)
        except RecordError as exc:
            parsed.errors.append({"index": index, "field": exc.field, "message": str(exc)})
            parsed.rejected.append((raw.decode(errors="replace"), f"{where} record {index}: {exc}"))
            continue
        parsed.payloads.append(record.payload)
        parsed.readings += record.readings
    return parsed


_RAW_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])
_METRICS = attrgetter("metrics")


def _json_records(body: bytes) -> list[bytes]:
    """Each record of the body as the bytes it was sent as; a body that is not JSON is refused
    with orjson's account of where it breaks."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BodyError(
            400,
            "malformed_json",
            f"the body is not valid JSON ({exc}); for one record per line use Content-Type application/x-ndjson",
        ) from None
    if not isinstance(value, list):
        return [body.strip()]
    try:
        return list(map(bytes, _RAW_ARRAY.decode(body)))
    except (msgspec.DecodeError, RecursionError) as exc:  # valid for orjson, too deep for msgspec
        raise BodyError(
            400,
            "malformed_json",
            f"the body's records cannot be read ({exc}): nest values less deeply",
        ) from None


def all_valid(stream: str, body: bytes) -> ParsedBody | None:
    """The common case in C: one record, or a JSON array whose records all have one shape of the
    stream, valid for msgspec Structs derived from the contracts, each record kept as the text it
    was sent as; None otherwise, and the records go one by one through the models instead."""
    one = body.lstrip()[:1] == b"{"
    for decoder in record_decoders(stream) if one else array_decoders(stream):
        try:
            decoded = decoder.decode(body)
        # ValidationError is a DecodeError; invalid UTF-8 in a string field and nesting deeper
        # than msgspec's recursion allows are neither.
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            continue
        break
    else:
        return None
    records = [decoded] if one else decoded
    if not records:
        return None
    try:  # msgspec does not check the UTF-8 of the text it skips over (unknown keys' values)
        if one:
            payloads = [body.strip().decode()]
        else:
            payloads = list(map(str, _RAW_ARRAY.decode(body), repeat("utf-8")))
    except UnicodeDecodeError:
        return None
    readings = len(records)
    if stream in READING_STREAMS:
        if hasattr(records[0], "metrics"):  # a bucket counts its readings
            readings = sum(map(len, map(_METRICS, records)))
        elif b"metrics" in body or b"\\" in body:
            # A single reading may carry a `metrics` key of its own, which the per-record
            # path counts: leave such rare bodies to it.
            return None
    return ParsedBody(payloads=payloads, readings=readings)
