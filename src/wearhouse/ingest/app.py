"""The FastAPI application: ingestion and the query API over gold; the live feed mounts beside it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from wearhouse.auth.tokens import TokenStore
from wearhouse.contracts import STREAMS
from wearhouse.ingest import errors
from wearhouse.ingest.committer import GroupCommitter
from wearhouse.ingest.routes import ingest, ops
from wearhouse.live.hub import LiveHub
from wearhouse.serve.routes import live
from wearhouse.serve.routes import router as query_router
from wearhouse.serve.routes.dashboard import install as install_dashboard
from wearhouse.settings import Settings, get_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, no_auth: bool | None = None) -> FastAPI:
    """Build the app for a Wearhouse home; nothing starts until the app's lifespan does."""
    settings = settings or get_settings()
    no_auth = settings.serve.no_auth if no_auth is None else no_auth

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await app.state.live.start()
        await app.state.committer.start()
        try:
            yield
        finally:
            await app.state.committer.stop()
            await app.state.live.stop()

    app = FastAPI(
        title="Wearhouse",
        summary="Ingestion and query API of the Wearhouse lakehouse for wearable health data",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.no_auth = no_auth
    app.state.tokens = TokenStore.for_settings(settings)
    app.state.committer = GroupCommitter(settings)
    app.state.live = LiveHub(settings)
    app.state.committer.listeners.append(app.state.live.committed)
    errors.install(app)
    app.include_router(ingest.router)
    ingest.install_fast_route(app)
    app.include_router(ops.router)
    app.include_router(query_router)
    install_dashboard(app)
    app.include_router(live.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the stream record models the ingest body refers to."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(
        title=app.title, version=app.version, summary=app.summary, routes=app.routes
    )
    _, definitions = models_json_schema(
        [(model, "validation") for model in STREAMS.values()],
        ref_template="#/components/schemas/{model}",
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(definitions.get("$defs", {}))
    schema["components"]["securitySchemes"] = {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "`wearhouse token create`",
        }
    }
    schema["security"] = [{"bearerAuth": []}]
    components["StreamRecord"] = {
        "description": "A record of the stream named in the path (DESIGN.md section 3)",
        "anyOf": [{"$ref": f"#/components/schemas/{model.__name__}"} for model in STREAMS.values()],
    }
    app.openapi_schema = schema
    return schema
