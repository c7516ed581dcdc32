"""Operations: liveness and writability, Prometheus metrics, token listing for admins."""

from __future__ import annotations

import os
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from wearhouse.auth.dependencies import require
from wearhouse.auth.tokens import Principal, Role
from wearhouse.ingest import metrics

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Liveness and whether bronze is writable")
async def health(request: Request) -> JSONResponse:
    """200 when the service runs and can write under lake/bronze; 503 otherwise."""
    bronze = request.app.state.settings.lake / "bronze"
    probe = bronze / f".health-{uuid.uuid4().hex}"
    try:
        bronze.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        os.remove(probe)
        writable = True
    except OSError:
        writable = False
    committer = request.app.state.committer
    body = {
        "status": "ok" if writable else "degraded",
        "bronze_writable": writable,
        "queued_records": committer.queued_records,
    }
    return JSONResponse(body, status_code=200 if writable else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
async def prometheus(request: Request) -> PlainTextResponse:
    """Records accepted and rejected per stream, commit latency, queue depth."""
    metrics.QUEUED.set(request.app.state.committer.queued_records)
    return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/admin/tokens", summary="List tokens (admin)", tags=["admin"])
async def tokens(
    request: Request, principal: Annotated[Principal, Depends(require(Role.admin))]
) -> list[dict[str, Any]]:
    """Every token's id, role and user; never the token or its hash."""
    return request.app.state.tokens.list()
