"""Baseline (a) of bench/ingest_http.py: the usual web-service-plus-database ingestion.

A minimal FastAPI endpoint that parses the JSON array of readings and writes it to the local
PostgreSQL with COPY, committing before it answers. Started by the benchmark under uvicorn.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg_pool import AsyncConnectionPool

DSN = os.environ.get("BASELINE_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with AsyncConnectionPool(DSN, min_size=4, max_size=16, open=True) as pool:
        app.state.pool = pool
        yield


app = FastAPI(lifespan=lifespan)


@app.post("/v1/ingest/heart_rate", status_code=202)
async def ingest(request: Request) -> JSONResponse:
    """Parse the readings and COPY them into bench_heart_rate before answering."""
    readings = orjson.loads(await request.body())
    async with (
        request.app.state.pool.connection() as conn,
        conn.cursor() as cur,
        cur.copy("copy bench_heart_rate (device_id, ts, bpm) from stdin") as copy,
    ):
        for r in readings:
            await copy.write_row((r["device_id"], r["ts"], r["bpm"]))
    return JSONResponse({"accepted": len(readings)}, status_code=202)
