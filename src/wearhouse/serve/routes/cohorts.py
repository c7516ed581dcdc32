"""GET /v1/cohorts/age-groups/monthly: sleeping heart rate, steps and heart rate by age group."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from wearhouse.serve.models import AgeGroupMonth, Format, Page
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
)
from wearhouse.serve.service import AgeGroupsMonthly

router = APIRouter(tags=["query"])
COLUMNS = tuple(AgeGroupMonth.model_fields)


@router.get(
    "/v1/cohorts/age-groups/monthly",
    summary="Average sleeping BPM, monthly steps and BPM by age group and month",
    response_model=Page[AgeGroupMonth],
    responses=list_responses("AgeGroupMonth"),
)
async def age_groups_monthly(
    request: Request,
    reader: Reader,
    month: Month = None,
    limit: Limit = 100,
    offset: Offset = 0,
    format: FormatParam = Format.json,
) -> Response:
    """Months oldest first, age groups youngest first (age on the day of each measurement).

    User tokens see only groups of at least 5 people.
    """
    scope, window = reading(reader, limit, offset)
    rows = await fetch(request, AgeGroupsMonthly(scope, month, window))
    return respond(request, rows, window, format, COLUMNS)
