"""Read endpoints over gold (DESIGN.md section 7), one module per noun, and the snapshot they share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from wearhouse.serve.routes import cohorts, fleet, gyms, heart_rate, users, workouts
from wearhouse.serve.snapshot import GoldSnapshots


@asynccontextmanager
async def _gold(app: FastAPI) -> AsyncIterator[None]:
    snapshots = GoldSnapshots(app.state.settings)
    await asyncio.to_thread(snapshots.start)
    app.state.gold = snapshots
    try:
        yield
    finally:
        await asyncio.to_thread(snapshots.stop)


router = APIRouter(lifespan=_gold)
for noun in (users, cohorts, workouts, gyms, heart_rate, fleet):
    router.include_router(noun.router)
