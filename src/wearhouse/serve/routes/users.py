"""GET /v1/users/{user_id}/daily: one user's daily summary."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from wearhouse.serve.models import DailySummary, Format, UserDailyPage
from wearhouse.serve.routes.common import (
    MAX_ID_LENGTH,
    FormatParam,
    Limit,
    Offset,
    Reader,
    fetch,
    list_responses,
    reading,
    respond,
)
from wearhouse.serve.service import UserDaily

router = APIRouter(tags=["query"])
COLUMNS = tuple(DailySummary.model_fields)


@router.get(
    "/v1/users/{user_id}/daily",
    summary="A user's daily steps, heart rate, sleep and devices",
    response_model=UserDailyPage,
    responses={
        **list_responses("DailySummary"),
        404: {"description": "No data for this user, or a user token of another user"},
    },
)
async def user_daily(
    request: Request,
    reader: Reader,
    user_id: Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH)],
    start: Annotated[date | None, Query(description="First day (inclusive), YYYY-MM-DD")] = None,
    end: Annotated[date | None, Query(description="Last day (inclusive), YYYY-MM-DD")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    format: FormatParam = Format.json,
) -> Response:
    """UTC days of one user, oldest first.

    Without `start` and `end`: the 30 days ending at the user's latest day with data (so a
    wearer who has not synced for a week still sees a month). With only `end`: the 30 days ending
    there; with only `start`: from there to the latest day. A user token sees only its own user;
    any other id answers 404 exactly as an unknown one does.
    """
    scope, window = reading(reader, limit, offset)
    rows = await fetch(request, UserDaily(scope, user_id, start, end, window))
    return respond(request, rows, window, format, COLUMNS)
