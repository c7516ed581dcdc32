"""GET /v1/heart-rate/by-activity: heart rate per activity and population group."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from wearhouse.serve.models import ActivityHeartRate, AgeGroup, Format, Page
from wearhouse.serve.routes.common import (
    FormatParam,
    Limit,
    Month,
    Offset,
    Reader,
    fetch,
    list_responses,
    reading,
    respond,
    text,
)
from wearhouse.serve.service import HeartRateByActivity

router = APIRouter(tags=["query"])
COLUMNS = tuple(ActivityHeartRate.model_fields)


@router.get(
    "/v1/heart-rate/by-activity",
    summary="Average, min and max BPM per activity, month, age group, gender and country",
    response_model=Page[ActivityHeartRate],
    responses=list_responses("ActivityHeartRate"),
)
async def heart_rate_by_activity(
    request: Request,
    reader: Reader,
    month: Month = None,
    activity: Annotated[
        str | None, text("An activity id (e.g. 9) or name (e.g. running, any case)")
    ] = None,
    age_group: Annotated[AgeGroup | None, Query(description="Write 95+ as 95%2B in a URL")] = None,
    gender: Annotated[str | None, text("Gender as recorded, any case")] = None,
    country: Annotated[str | None, text("Country name, any case")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    format: FormatParam = Format.json,
) -> Response:
    """Months oldest first. User tokens see only groups of at least 5 people."""
    scope, window = reading(reader, limit, offset)
    query = HeartRateByActivity(scope, month, activity, age_group, gender, country, window)
    rows = await fetch(request, query)
    return respond(request, rows, window, format, COLUMNS)
