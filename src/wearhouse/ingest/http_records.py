"""Request bodies to records: a JSON object, a JSON array or NDJSON, each record checked."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import orjson

from wearhouse.ingest.records import RecordError, check

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")


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
    if not encoding or encoding == "identity":
        return body
    if encoding != "gzip":
        raise BodyError(
            415,
            "unsupported_encoding",
            f"Content-Encoding {encoding!r} is not supported: use gzip or none",
        )
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BodyError(
            400,
            "bad_gzip",
            f"the body is not valid gzip ({exc}): compress it with gzip or drop Content-Encoding",
        ) from None
    if len(data) > limit:
        raise BodyError(
            413,
            "body_too_large",
            f"the body inflates to more than {limit:,} bytes; send smaller batches",
        )
    return data


def parse(stream: str, body: bytes, content_type: str | None, where: str) -> ParsedBody:
    """Check every record of the body; `where` prefixes the reasons kept with rejected records."""
    media = (content_type or "application/json").split(";")[0].strip().lower()
    if media in NDJSON_TYPES:
        # NDJSON indexes are 0-based line numbers, blank lines included, so they point at the line.
        items = [(i, line) for i, line in enumerate(body.splitlines()) if line.strip()]
    # curl -d sends application/x-www-form-urlencoded by default: its body is still our JSON.
    elif media in (
        "application/json",
        "text/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "*/*",
        "",
    ):
        items = _json_items(body)
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


def _json_items(body: bytes) -> list[tuple[int, bytes]]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BodyError(
            400,
            "malformed_json",
            f"the body is not valid JSON ({exc}); for one record per line use Content-Type application/x-ndjson",
        ) from None
    if isinstance(value, list):
        return [(i, orjson.dumps(item)) for i, item in enumerate(value)]
    return [(0, orjson.dumps(value))]
