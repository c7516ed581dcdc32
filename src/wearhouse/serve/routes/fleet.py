"""GET /v1/fleet/daily and /v1/fleet/users: the whole fleet at a glance, for analysts and admins."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from wearhouse.auth.dependencies import require
from wearhouse.auth.tokens import Principal, Role
from wearhouse.serve.models import FleetDay, FleetUser, FleetUserOrder, Format, Page
from wearhouse.serve.routes.common import (
    FormatParam,
    Limit,
    Offset,
    fetch,
    list_responses,
    respond,
)
from wearhouse.serve.service import FleetDaily, FleetUsers, Window

router = APIRouter(tags=["query"])
DAY_COLUMNS = tuple(FleetDay.model_fields)
USER_COLUMNS = tuple(FleetUser.model_fields)

FleetReader = Annotated[Principal, Depends(require(Role.analyst))]
"""An analyst or admin token: the fleet spans every user, so user and device tokens get 403."""
FLEET_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "A user or device token: the fleet needs analyst or admin"}
}


@router.get(
    "/v1/fleet/daily",
    summary="The whole fleet per day: people, devices, steps, heart rate, sleep",
    response_model=Page[FleetDay],
    responses={**list_responses("FleetDay"), **FLEET_ERRORS},
)
async def fleet_daily(
    request: Request,
    reader: FleetReader,
    start: Annotated[date | None, Query(description="First day (inclusive), YYYY-MM-DD")] = None,
    end: Annotated[date | None, Query(description="Last day (inclusive), YYYY-MM-DD")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    format: FormatParam = Format.json,
) -> Response:
    """UTC days oldest first, each rolled up over every user's row of gold.user_daily."""
    window = Window(limit, offset)
    rows = await fetch(request, FleetDaily(start, end, window))
    return respond(request, rows, window, format, DAY_COLUMNS)


@router.get(
    "/v1/fleet/users",
    summary="Every user with data: days, latest day, steps, heart rate, devices",
    response_model=Page[FleetUser],
    responses={**list_responses("FleetUser"), **FLEET_ERRORS},
)
async def fleet_users(
    request: Request,
    reader: FleetReader,
    order: Annotated[
        FleetUserOrder,
        Query(description="user_id, steps (most first) or latest (most recently seen first)"),
    ] = FleetUserOrder.user_id,
    limit: Limit = 100,
    offset: Offset = 0,
    format: FormatParam = Format.json,
) -> Response:
    """Users with at least one day in gold.user_daily, with their totals over all days."""
    window = Window(limit, offset)
    rows = await fetch(request, FleetUsers(order.value, window))
    return respond(request, rows, window, format, USER_COLUMNS)
