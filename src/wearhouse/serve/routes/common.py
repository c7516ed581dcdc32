"""What every read route shares: the reader's scope, paging, the snapshot call and the answer's shape."""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import orjson
from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator, WithJsonSchema
from starlette.concurrency import run_in_threadpool

from wearhouse.auth.dependencies import require
from wearhouse.auth.tokens import Principal, Role
from wearhouse.ingest.errors import ApiError
from wearhouse.serve.access import Scope, scope_of
from wearhouse.serve.models import Format
from wearhouse.serve.service import Query as GoldQuery
from wearhouse.serve.service import Rows, Window, answer
from wearhouse.serve.snapshot import GoldNotBuilt, GoldSnapshots

MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000
MAX_ID_LENGTH = 128


def _first_of_month(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return date(int(year), int(month), 1)
    except ValueError:
        raise ValueError(f"month {value!r} is not YYYY-MM; send e.g. 2026-10") from None


# Parameters are declared on the routes themselves, not in nested dependencies: FastAPI's
# dependency solving was half of a request's time, and each level re-reads every parameter kind.
Reader = Annotated[Principal, Depends(require(Role.user, Role.analyst))]
"""A user, analyst or admin token (admin always passes); device tokens get 403."""
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")]
FormatParam = Annotated[
    Format, Query(description="json (a page with total and next link) or csv (the page's rows)")
]
Month = Annotated[
    date | None,
    BeforeValidator(_first_of_month),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}$", "examples": ["2026-10"]}),
    Query(description="A calendar month, YYYY-MM; all months when absent"),
]


def text(description: str) -> Any:
    """A Query() for an optional string filter (1 to MAX_ID_LENGTH characters)."""
    return Query(min_length=1, max_length=MAX_ID_LENGTH, description=description)


def reading(principal: Principal, limit: int, offset: int) -> tuple[Scope, Window]:
    """What the reader may see and which page it asked for."""
    return scope_of(principal), Window(limit, offset)


async def fetch(request: Request, query: GoldQuery) -> Rows:
    """Answer from the current snapshot; costly queries run off the event loop."""
    snapshots: GoldSnapshots | None = getattr(request.app.state, "gold", None)
    snapshot = snapshots.current() if snapshots else None
    if snapshot is None:
        failing = snapshots is not None and snapshots.failing
        message = (
            "gold could not be loaded (see the server log); retrying every few seconds"
            if failing
            else "gold is being loaded: retry in a few seconds"
        )
        raise ApiError(503, "gold_unavailable", message, headers={"Retry-After": "2"})
    try:
        if query.cheap or snapshot.remembered(query) is not None:
            return answer(snapshot, query)
        return await run_in_threadpool(answer, snapshot, query)
    except GoldNotBuilt as exc:
        raise ApiError(503, "not_built", str(exc), headers={"Retry-After": "60"}) from None


def respond(
    request: Request, rows: Rows, window: Window, fmt: Format, columns: tuple[str, ...]
) -> Response:
    """The page as JSON ({..., items, total, limit, offset, next}) or as CSV with the same paging."""
    following = _next_page(request, window, rows.total)
    headers = {"X-Total-Count": str(rows.total)}
    if following:
        headers["Link"] = f'<{following}>; rel="next"'
    if fmt is Format.csv:
        return Response(
            _csv(rows.items, columns), media_type="text/csv; charset=utf-8", headers=headers
        )
    body = {
        **rows.about,
        "items": rows.items,
        "total": rows.total,
        "limit": window.limit,
        "offset": window.offset,
        "next": following,
    }
    return Response(
        orjson.dumps(body, default=_json_default), media_type="application/json", headers=headers
    )


def _json_default(value: Any) -> Any:
    # Gold contracts say double, but a decimal must not turn an answer into a 500.
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _next_page(request: Request, window: Window, total: int) -> str | None:
    if window.offset + window.limit >= total:
        return None
    url = request.url.include_query_params(offset=window.offset + window.limit, limit=window.limit)
    return f"{url.path}?{url.query}"


def _cell(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _csv(items: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(row.get(c)) for c in columns] for row in items)
    return out.getvalue()


def list_responses(model_name: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI answers of a list route: the JSON page, its CSV form, and the errors."""
    return {
        200: {
            "description": f"A page of {model_name} rows; with format=csv, the same rows as CSV "
            "(headers X-Total-Count and Link rel=next carry the paging)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **ERRORS,
    }


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No bearer token, or an unknown or revoked one"},
    403: {"description": "A device token: reading needs a user, analyst or admin token"},
    422: {"description": "A parameter is not valid; `errors` names each and says what to send"},
    503: {"description": "Gold is loading or has not been built yet: retry after Retry-After"},
}
