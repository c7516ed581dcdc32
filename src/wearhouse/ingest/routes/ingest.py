"""POST /v1/ingest/{stream}: records into bronze, answered once they are durable."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from starlette.routing import Match, Route
from starlette.types import Scope

from wearhouse.auth.dependencies import require
from wearhouse.auth.tokens import Principal, Role
from wearhouse.contracts import STREAMS
from wearhouse.contracts.examples import EXAMPLES
from wearhouse.errors import TransientError
from wearhouse.ingest import metrics
from wearhouse.ingest.committer import GroupCommitter, QueueFull
from wearhouse.ingest.errors import ApiError
from wearhouse.ingest.http_records import BodyError, decode, parse
from wearhouse.ingest.idempotency import scoped

router = APIRouter(tags=["ingest"])

StreamName = StrEnum("StreamName", {name: name for name in STREAMS})  # type: ignore[misc]
MAX_KEY_LENGTH = 200
MAX_ERRORS_SHOWN = 100


def _request_body_doc() -> dict[str, Any]:
    record = {"$ref": "#/components/schemas/StreamRecord"}
    examples = {
        name: {"summary": f"one {name} record", "value": value} for name, value in EXAMPLES.items()
    }
    examples["heart_rate_batch"] = {
        "summary": "a JSON array of heart_rate readings",
        "value": [
            {"device_id": "d00001", "ts": "2026-10-02T07:30:00Z", "bpm": 72, "confidence": 3},
            {"device_id": "d00001", "ts": "2026-10-02T07:30:05+02:00", "bpm": 74},
        ],
    }
    return {
        "requestBody": {
            "required": True,
            "description": "One record, a JSON array of records, or NDJSON (one record per line). "
            "Gzip bodies are accepted with Content-Encoding: gzip.",
            "content": {
                "application/json": {
                    "schema": {"anyOf": [record, {"type": "array", "items": record}]},
                    "examples": examples,
                },
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    }


ANSWER_DOC = {
    "description": "Accepted: every accepted record is committed to bronze",
    "content": {"application/json": {"example": {"accepted": 2, "rejected": 0, "errors": []}}},
}
ERRORS_DOC = {
    400: {"description": "The body is not valid JSON, not valid gzip, or empty"},
    401: {"description": "No or unknown bearer token"},
    403: {"description": "The token's role may not ingest"},
    404: {"description": "Unknown stream"},
    413: {"description": "The body is larger than the configured limit"},
    415: {"description": "Unsupported Content-Type or Content-Encoding"},
    422: {"description": "No record of the request is valid; errors name each record and field"},
    503: {"description": "Too many records waiting for a commit, or bronze not writable: retry"},
}


@router.post(
    "/v1/ingest/{stream}",
    status_code=202,
    summary="Ingest records of one stream",
    responses={202: ANSWER_DOC, **ERRORS_DOC},  # type: ignore[dict-item]
    openapi_extra=_request_body_doc(),
)
async def ingest(
    stream: StreamName,
    request: Request,
    principal: Annotated[Principal, Depends(require(Role.device))],
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=MAX_KEY_LENGTH,
            description="Retrying with the same key returns the first answer and adds nothing",
        ),
    ] = None,
) -> Response:
    """Check each record against its stream contract and commit the valid ones to bronze.

    The answer comes only after the commit: an acknowledged record is durable. Invalid records
    are listed in `errors` (by index and field) and kept in quarantine.
    """
    return await _ingest(request, stream.value, principal, idempotency_key)


_device = require(Role.device)


async def _ingest_fast(request: Request) -> Response:
    """The common request (known stream, well-formed key) without FastAPI's parameter machinery."""
    principal = await _device(request)
    stream = request.path_params["stream"]
    return await _ingest(request, stream, principal, request.headers.get("idempotency-key"))


class _FastIngestRoute(Route):
    """Takes POST /v1/ingest/{stream} when the stream exists and any Idempotency-Key fits; every
    other request falls through to the documented route, whose validation answers it."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.FULL or child["path_params"]["stream"] not in STREAMS:
            return Match.NONE, {}
        for name, value in scope["headers"]:
            if name == b"idempotency-key" and len(value.decode("latin-1")) > MAX_KEY_LENGTH:
                return Match.NONE, {}
        return match, child


def install_fast_route(app: FastAPI) -> None:
    """Put the fast route ahead of every other route of the app (FastAPI copies the routes of an
    included router into plain ones, so it cannot live in `router`)."""
    # The event loop thread bounds a worker's throughput; per request, FastAPI's dependency and
    # parameter resolution is work that the parsed path and the token check alone do not need.
    route = _FastIngestRoute(
        "/v1/ingest/{stream}", _ingest_fast, methods=["POST"], include_in_schema=False
    )
    app.router.routes.insert(0, route)


async def _ingest(
    request: Request, name: str, principal: Principal, idempotency_key: str | None
) -> Response:
    committer: GroupCommitter = request.app.state.committer
    key = scoped(principal.token_id, name, idempotency_key) if idempotency_key else None
    if key is not None and (known := committer.idempotency.get(key)) is not None:
        return _answer(known)
    settings = request.app.state.settings
    try:
        body = decode(
            await _read_body(request, settings.ingest.max_body_bytes),
            request.headers.get("content-encoding"),
            settings.ingest.max_body_bytes,
        )
        parsed = parse(
            name, body, request.headers.get("content-type"), where=f"POST /v1/ingest/{name}"
        )
    except BodyError as exc:
        metrics.REFUSED.labels(exc.code).inc()
        raise ApiError(exc.status, exc.code, str(exc)) from None
    answer = {
        "accepted": len(parsed.payloads),
        "rejected": len(parsed.rejected),
        "errors": parsed.errors[:MAX_ERRORS_SHOWN],
    }
    try:
        answer, fresh = await committer.submit(name, parsed, answer, key, batch_id=uuid.uuid4().hex)
    except QueueFull as exc:
        metrics.REFUSED.labels("queue_full").inc()
        raise ApiError(
            503, "busy", f"{exc}; retry in a second", headers={"Retry-After": "1"}
        ) from None
    except TransientError as exc:
        metrics.REFUSED.labels("store_unavailable").inc()
        raise ApiError(503, "store_unavailable", str(exc), headers={"Retry-After": "5"}) from None
    if fresh:  # a request that waited on an earlier one with its key committed nothing itself
        metrics.RECORDS.labels(name, "accepted").inc(len(parsed.payloads))
        metrics.RECORDS.labels(name, "rejected").inc(len(parsed.rejected))
        metrics.READINGS.labels(name).inc(parsed.readings)
    return _answer(answer)


def _answer(answer: dict[str, Any]) -> Response:
    if answer["accepted"] == 0:
        body = {
            "error": "no_valid_records",
            "message": "no record was valid; each is listed in errors with the field to fix",
            **answer,
        }
        return _json(body, 422)
    return _json(answer, 202)


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyError(
            413,
            "body_too_large",
            f"the body is {int(declared):,} bytes; send at most {limit:,} per request",
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyError(
                413, "body_too_large", f"the body is over {limit:,} bytes; send smaller batches"
            )
        chunks.append(chunk)
    return b"".join(chunks)
