"""GET /v1/workouts/bpm-summary: completed workouts with their heart rate."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from wearhouse.serve.models import Format, Page, WorkoutBpm
from wearhouse.serve.routes.common import (
    FormatParam,
    Limit,
    Offset,
    Reader,
    fetch,
    list_responses,
    reading,
    respond,
    text,
)
from wearhouse.serve.service import WorkoutBpmSummary

router = APIRouter(tags=["query"])
COLUMNS = tuple(WorkoutBpm.model_fields)


@router.get(
    "/v1/workouts/bpm-summary",
    summary="Min, average and max BPM of each completed workout session",
    response_model=Page[WorkoutBpm],
    responses=list_responses("WorkoutBpm"),
)
async def workout_bpm_summary(
    request: Request,
    reader: Reader,
    user_id: Annotated[str | None, text("Only this user's workouts")] = None,
    start: Annotated[
        date | None, Query(description="Started on or after this UTC day, YYYY-MM-DD")
    ] = None,
    end: Annotated[
        date | None, Query(description="Started on or before this UTC day, YYYY-MM-DD")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    format: FormatParam = Format.json,
) -> Response:
    """Most recent first. A user token lists only its own user's workouts."""
    scope, window = reading(reader, limit, offset)
    rows = await fetch(request, WorkoutBpmSummary(scope, user_id, start, end, window))
    return respond(request, rows, window, format, COLUMNS)
