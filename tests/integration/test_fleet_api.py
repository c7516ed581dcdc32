"""The fleet endpoints over real HTTP: `wearhouse serve` in a child process over a real gold.

A small fleet goes through the real pipeline; every answer is compared with the same roll-up
written in SQL over gold.user_daily read back from Delta.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from http_server import ServerProcess, make_token

from wearhouse.auth.tokens import Role
from wearhouse.ingest.files import ingest_path
from wearhouse.lake.read import connect
from wearhouse.serve.models import FleetDay, FleetUser, Page
from wearhouse.settings import Settings
from wearhouse.synth import FleetConfig, write_fleet
from wearhouse.transform.service import transform

pytestmark = pytest.mark.integration

TODAY = datetime.now(UTC).date()
CONFIG = FleetConfig(users=8, days=4, seed=5, start=TODAY - timedelta(days=6), hr_interval_s=600)
DAILY, USERS = "/v1/fleet/daily", "/v1/fleet/users"
Rows = list[dict[str, Any]]

FLEET_DAYS_SQL = """
    with devices as (
        select day, count(distinct device) as devices
        from (select day, unnest(devices) as device from gold.user_daily)
        group by day
    )
    select day, count(*) as users, any_value(devices.devices) as devices,
           sum(step_count) as step_count, avg(step_count) as avg_steps,
           sum(avg_bpm * readings) / nullif(sum(readings), 0) as avg_bpm,
           min(min_bpm) as min_bpm, max(max_bpm) as max_bpm,
           avg(resting_bpm) as avg_resting_bpm, avg(sleep_minutes) as avg_sleep_minutes,
           sum(readings) as readings
    from gold.user_daily left join devices using (day)
    group by day
    order by day
"""
FLEET_USERS_SQL = """
    select user_id, count(*) as days, min(day) as first_day, max(day) as last_day,
           sum(step_count) as step_count, avg(step_count) as avg_daily_steps,
           sum(avg_bpm * readings) / nullif(sum(readings), 0) as avg_bpm,
           sum(readings) as readings,
           list_sort(list_distinct(flatten(list(devices)))) as devices
    from gold.user_daily
    group by user_id
    order by user_id
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fleet-api")
    settings = Settings(home=root / "home")
    write_fleet(CONFIG, root / "fleet")
    ingest_path(root / "fleet", settings=settings)
    transform(settings)
    return settings.home


@pytest.fixture(scope="module")
def expected(home: Path) -> dict[str, Rows]:
    """The fleet roll-ups computed by DuckDB straight from the published gold table."""
    con = connect(Settings(home=home), layers=("gold",))

    def rows(sql: str) -> Rows:
        result = con.execute(sql)
        names = [d[0] for d in result.description or ()]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    return {"daily": rows(FLEET_DAYS_SQL), "users": rows(FLEET_USERS_SQL)}


@pytest.fixture(scope="module")
def server(home: Path) -> Iterator[ServerProcess]:
    with ServerProcess(home) as running:
        yield running


def client(server: ServerProcess, role: Role | None, user_id: str | None = None) -> httpx.Client:
    headers = {}
    if role is not None:
        headers["Authorization"] = f"Bearer {make_token(server.home, role, user_id)}"
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def analyst(server: ServerProcess) -> Iterator[httpx.Client]:
    with client(server, Role.analyst) as c:
        yield c


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["x-total-count"] == str(body["total"])
    return body


def same(item: dict[str, Any], row: dict[str, Any]) -> None:
    """An answered row equals the SQL row: dates as ISO text, measures to float precision."""
    assert set(item) == set(row), (item, row)
    for column, want in row.items():
        got = item[column]
        if isinstance(want, float) or (isinstance(got, float) and want is not None):
            assert got == pytest.approx(float(want), rel=1e-9), (column, item, row)
        elif hasattr(want, "isoformat"):
            assert got == want.isoformat(), (column, item, row)
        else:
            assert got == want, (column, item, row)


def test_fleet_daily_rolls_up_every_users_day(
    analyst: httpx.Client, expected: dict[str, Rows]
) -> None:
    body = ok(analyst.get(DAILY, params={"limit": 1000}))
    Page[FleetDay].model_validate(body)
    assert body["total"] == len(expected["daily"]) >= CONFIG.days
    assert body["items"][0]["users"] == CONFIG.users
    for item, row in zip(body["items"], expected["daily"], strict=True):
        same(item, row)


def test_fleet_daily_start_end_paging_and_csv(
    analyst: httpx.Client, expected: dict[str, Rows]
) -> None:
    days = [r["day"] for r in expected["daily"]]
    bounded = ok(analyst.get(DAILY, params={"start": str(days[1]), "end": str(days[2])}))
    assert [i["day"] for i in bounded["items"]] == [str(days[1]), str(days[2])]

    first = ok(analyst.get(DAILY, params={"limit": 2}))
    assert [i["day"] for i in first["items"]] == [str(d) for d in days[:2]]
    following = urlsplit(first["next"])
    assert following.path == DAILY
    assert parse_qs(following.query) == {"limit": ["2"], "offset": ["2"]}
    second = ok(analyst.get(first["next"]))
    assert [i["day"] for i in second["items"]] == [str(d) for d in days[2:4]]

    csv = analyst.get(DAILY, params={"format": "csv", "limit": 1})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    header, line = csv.text.splitlines()
    assert header.split(",") == list(FleetDay.model_fields)
    assert line.startswith(f"{days[0]},{CONFIG.users},")
    assert csv.headers["x-total-count"] == str(len(days))

    wrong = analyst.get(DAILY, params={"start": str(days[2]), "end": str(days[1])})
    assert wrong.status_code == 422 and wrong.json()["error"] == "invalid_range"


def test_fleet_users_lists_each_users_totals_in_the_asked_order(
    analyst: httpx.Client, expected: dict[str, Rows]
) -> None:
    body = ok(analyst.get(USERS, params={"limit": 1000}))
    Page[FleetUser].model_validate(body)
    assert body["total"] == CONFIG.users
    for item, row in zip(body["items"], expected["users"], strict=True):
        same(item, row)

    by_steps = ok(analyst.get(USERS, params={"order": "steps", "limit": 3}))["items"]
    want = sorted(expected["users"], key=lambda r: (-r["step_count"], r["user_id"]))[:3]
    assert [i["user_id"] for i in by_steps] == [r["user_id"] for r in want]

    bad = analyst.get(USERS, params={"order": "name"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.order"


@pytest.mark.parametrize(
    ("role", "status"), [(None, 401), (Role.device, 403), (Role.user, 403), (Role.admin, 200)]
)
def test_only_analysts_and_admins_see_the_fleet(
    server: ServerProcess, role: Role | None, status: int
) -> None:
    with client(server, role, "u0001" if role is Role.user else None) as c:
        for path in (DAILY, USERS):
            response = c.get(path)
            assert response.status_code == status, response.text
            if status != 200:
                assert response.json()["message"]


def test_fleet_before_any_transform_says_to_run_it(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "empty") as empty, client(empty, Role.admin) as admin:
        response = admin.get(DAILY)
        for _ in range(50):  # the first snapshot may still be loading
            if response.json()["error"] != "gold_unavailable":
                break
            time.sleep(0.1)
            response = admin.get(DAILY)
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "not_built"
    assert "wearhouse transform" in response.json()["message"]


def test_openapi_documents_the_fleet_endpoints(analyst: httpx.Client) -> None:
    schema = analyst.get("/openapi.json").json()
    for path in (DAILY, USERS):
        operation = schema["paths"][path]["get"]
        assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
        assert {"401", "403", "422", "503"} <= set(operation["responses"])
    for model in ("FleetDay", "FleetUser"):
        assert schema["components"]["schemas"][model]["examples"], model
