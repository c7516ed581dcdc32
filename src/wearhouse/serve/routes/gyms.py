"""GET /v1/gyms/activity: time in the gym and time exercising, per workout session."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from wearhouse.serve.models import Format, GymSession, Page
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
from wearhouse.serve.service import GymActivity

router = APIRouter(tags=["query"])
COLUMNS = tuple(GymSession.model_fields)


@router.get(
    "/v1/gyms/activity",
    summary="Workout sessions started inside gym visits",
    response_model=Page[GymSession],
    responses=list_responses("GymSession"),
)
async def gym_activity(
    request: Request,
    reader: Reader,
    day: Annotated[
        date | None,
        Query(alias="date", description="The visit's UTC day (of login), YYYY-MM-DD"),
    ] = None,
    gym_id: Annotated[str | None, text("Only this gym")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    format: FormatParam = Format.json,
) -> Response:
    """Most recent day first. A user token lists only its own sessions; analyst tokens get
    mac_address as null (a hardware address is personal data)."""
    scope, window = reading(reader, limit, offset)
    rows = await fetch(request, GymActivity(scope, day, gym_id, window))
    return respond(request, rows, window, format, COLUMNS)
