"""The query API over real HTTP: `wearhouse serve` in a child process over a gold built once.

A 12-user fleet goes through the real pipeline (files -> bronze -> dbt -> Delta); every answer is
compared with the published gold tables read back from Delta, and every role rule, filter, page
and format is checked on the wire. A last test transforms new data while the server runs and
waits for the server to answer with it, without a restart.
"""

from __future__ import annotations

import csv
import io
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from http_server import ServerProcess, make_token
from pydantic import BaseModel

from wearhouse.auth.tokens import Role
from wearhouse.ingest.files import ingest_path
from wearhouse.serve.access import MIN_GROUP_USERS
from wearhouse.serve.models import (
    ActivityHeartRate,
    AgeGroupMonth,
    DailySummary,
    GymSession,
    Page,
    UserDailyPage,
    WorkoutBpm,
)
from wearhouse.settings import Settings
from wearhouse.synth import FleetConfig, write_fleet
from wearhouse.transform.service import transform

pytestmark = pytest.mark.integration

TODAY = datetime.now(UTC).date()
CONFIG = FleetConfig(
    users=12, days=5, seed=3, start=TODAY - timedelta(days=8), hr_interval_s=300, with_errors=True
)
USER, OTHER, NOBODY = "u0001", "u0002", "u9999"
Rows = list[dict[str, Any]]

DAILY = "/v1/users/{}/daily"
COHORTS = "/v1/cohorts/age-groups/monthly"
WORKOUTS = "/v1/workouts/bpm-summary"
GYMS = "/v1/gyms/activity"
HEART_RATE = "/v1/heart-rate/by-activity"
LISTS: dict[str, type[BaseModel]] = {
    DAILY.format(USER): DailySummary,
    COHORTS: AgeGroupMonth,
    WORKOUTS: WorkoutBpm,
    GYMS: GymSession,
    HEART_RATE: ActivityHeartRate,
}


@dataclass(frozen=True)
class Served:
    """The module's server, its home, the gold it was started on and a token per reader."""

    server: ServerProcess
    settings: Settings
    gold: dict[str, Rows]
    tokens: dict[str, str]

    def client(self, who: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.server.base_url, headers=headers, timeout=30)


def make_tokens(home: Path) -> dict[str, str]:
    """A token per reader: admin, analyst, device, and a user token for USER."""
    tokens = {
        role.value: make_token(home, role) for role in (Role.admin, Role.analyst, Role.device)
    }
    tokens["user"] = make_token(home, Role.user, USER)
    return tokens


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, layer_rows: Any) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("query-api")
    settings = Settings(home=root / "home")
    write_fleet(CONFIG, root / "fleet")
    ingest_path(root / "fleet", settings=settings)
    transform(settings)
    gold = layer_rows(settings, "gold")
    tokens = make_tokens(settings.home)
    with ServerProcess(settings.home) as server:
        yield Served(server, settings, gold, tokens)


@pytest.fixture(scope="module")
def admin(served: Served) -> Iterator[httpx.Client]:
    with served.client("admin") as client:
        yield client


@pytest.fixture(scope="module")
def analyst(served: Served) -> Iterator[httpx.Client]:
    with served.client("analyst") as client:
        yield client


@pytest.fixture(scope="module")
def user(served: Served) -> Iterator[httpx.Client]:
    with served.client("user") as client:
        yield client


def ok(response: httpx.Response) -> dict[str, Any]:
    """The JSON of a 200 answer."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert response.headers["x-total-count"] == str(body["total"])
    return body


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The JSON error of an answer, with its status and code."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == code, body
    assert body["message"], body
    return body


def everything(client: httpx.Client, path: str, **params: Any) -> Rows:
    """Every row of a list, in one page of the largest size."""
    body = ok(client.get(path, params={**params, "limit": 1000}))
    assert body["next"] is None and len(body["items"]) == body["total"]
    return body["items"]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def user_days(served: Served, user_id: str) -> Rows:
    return sorted(
        (r for r in served.gold["user_daily"] if r["user_id"] == user_id), key=lambda r: r["day"]
    )


# --- GET /v1/users/{user_id}/daily ----------------------------------------------------------------


def test_user_daily_defaults_to_the_30_days_up_to_the_users_latest_day(
    served: Served, admin: httpx.Client
) -> None:
    body = ok(admin.get(DAILY.format(USER)))
    UserDailyPage.model_validate(body)
    gold = user_days(served, USER)
    latest = gold[-1]["day"]
    assert (body["user_id"], body["start"], body["end"]) == (
        USER,
        str(latest - timedelta(days=29)),
        str(latest),
    )
    assert [item["day"] for item in body["items"]] == [str(r["day"]) for r in gold]
    for item, row in zip(body["items"], gold, strict=True):
        for column in DailySummary.model_fields:
            want = str(row[column]) if column == "day" else row[column]
            assert item[column] == want, (column, item, row)
    assert body["total"] == len(gold) == CONFIG.days
    assert body["next"] is None


def test_user_daily_start_and_end_bound_the_days(served: Served, admin: httpx.Client) -> None:
    days = [r["day"] for r in user_days(served, USER)]
    body = ok(admin.get(DAILY.format(USER), params={"start": str(days[1]), "end": str(days[2])}))
    assert [i["day"] for i in body["items"]] == [str(days[1]), str(days[2])]

    only_start = ok(admin.get(DAILY.format(USER), params={"start": str(days[3])}))
    assert (only_start["start"], only_start["end"]) == (str(days[3]), str(days[-1]))
    assert [i["day"] for i in only_start["items"]] == [str(d) for d in days[3:]]

    only_end = ok(admin.get(DAILY.format(USER), params={"end": str(days[1])}))
    assert only_end["start"] == str(days[1] - timedelta(days=29))
    assert [i["day"] for i in only_end["items"]] == [str(d) for d in days[:2]]

    before = ok(admin.get(DAILY.format(USER), params={"end": str(days[0] - timedelta(days=1))}))
    assert (before["items"], before["total"]) == ([], 0)


def test_a_user_token_reads_its_own_days_and_no_one_elses(
    served: Served, admin: httpx.Client, user: httpx.Client
) -> None:
    assert ok(user.get(DAILY.format(USER))) == ok(admin.get(DAILY.format(USER)))
    assert user_days(served, OTHER), "the other user must exist, or 404 proves nothing"
    assert ok(admin.get(DAILY.format(OTHER)))["items"]

    # Another user's id answers exactly as an id nobody has: 404, never 403.
    other = error(user.get(DAILY.format(OTHER)), 404, "unknown_user")
    unknown = error(user.get(DAILY.format(NOBODY)), 404, "unknown_user")
    assert other["message"].replace(OTHER, "<id>") == unknown["message"].replace(NOBODY, "<id>")
    assert set(other) == set(unknown) == {"error", "message"}
    csv_other = user.get(DAILY.format(OTHER), params={"format": "csv", "start": "2020-01-01"})
    error(csv_other, 404, "unknown_user")
    # An admin gets the same 404 for an unknown user.
    assert error(admin.get(DAILY.format(NOBODY)), 404, "unknown_user") == unknown


def test_analysts_read_any_users_days(served: Served, analyst: httpx.Client) -> None:
    body = ok(analyst.get(DAILY.format(OTHER)))
    assert len(body["items"]) == len(user_days(served, OTHER))


# --- roles -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(LISTS))
def test_device_tokens_cannot_read_and_anonymous_requests_are_refused(
    served: Served, path: str
) -> None:
    with served.client("device") as device:
        body = error(device.get(path), 403, "forbidden")
    assert "device" in body["message"]
    with served.client(None) as anonymous:
        error(anonymous.get(path), 401, "unauthorized")


# --- GET /v1/cohorts/age-groups/monthly -----------------------------------------------------------


def test_cohorts_answer_each_age_group_and_month(served: Served, admin: httpx.Client) -> None:
    gold = served.gold["age_group_monthly"]
    items = everything(admin, COHORTS)
    assert len(items) == len(gold)
    for item in items:
        AgeGroupMonth.model_validate(item)
    got = {(i["month"], i["age_group"]): i for i in items}
    for row in gold:
        item = got[(month_of(row["month"]), row["age_group"])]
        assert item["users"] == row["users"]
        assert item["avg_sleep_bpm"] == row["avg_sleep_bpm"]
        assert item["avg_monthly_steps"] == row["avg_step_count"]
        assert item["avg_bpm"] == row["avg_bpm"]
    # Age groups youngest first within a month.
    first_month = [i["age_group"] for i in items if i["month"] == items[0]["month"]]
    assert first_month[0] == "under 18"

    month = gold[0]["month"]
    one = everything(admin, COHORTS, month=month_of(month))
    assert {i["month"] for i in one} == {month_of(month)}
    assert len(one) == sum(r["month"] == month for r in gold)
    assert everything(admin, COHORTS, month="1999-01") == []


def test_user_tokens_see_only_cohorts_of_enough_people(
    served: Served, user: httpx.Client, admin: httpx.Client
) -> None:
    everyone = everything(admin, COHORTS)
    assert any(i["users"] < MIN_GROUP_USERS for i in everyone), "the rule is not exercised"
    assert everything(user, COHORTS) == [i for i in everyone if i["users"] >= MIN_GROUP_USERS]
    by_activity = everything(admin, HEART_RATE)
    assert any(i["users"] < MIN_GROUP_USERS for i in by_activity)
    assert everything(user, HEART_RATE) == [i for i in by_activity if i["users"] >= MIN_GROUP_USERS]


# --- GET /v1/workouts/bpm-summary -----------------------------------------------------------------


def workout_key(row: dict[str, Any]) -> tuple[str, str, str, datetime]:
    start = row["start_time"]
    return (
        row["user_id"],
        row["workout_id"],
        row["session_id"],
        utc(start) if isinstance(start, str) else start,
    )


def test_workouts_list_gold_most_recent_first(served: Served, analyst: httpx.Client) -> None:
    gold = {workout_key(r): r for r in served.gold["workout_bpm_summary"]}
    items = everything(analyst, WORKOUTS)
    assert [workout_key(i) for i in items] == sorted(
        (workout_key(i) for i in items), key=lambda k: (-k[3].timestamp(), k[0], k[1], k[2])
    )
    assert {workout_key(i) for i in items} == set(gold)
    for item in items:
        WorkoutBpm.model_validate(item)
        row = gold[workout_key(item)]
        assert (item["min_bpm"], item["avg_bpm"], item["max_bpm"], item["num_recordings"]) == (
            row["min_bpm"],
            row["avg_bpm"],
            row["max_bpm"],
            row["num_recordings"],
        )
        assert utc(item["end_time"]) == row["end_time"]


def test_workouts_filter_by_user_and_start_day(served: Served, admin: httpx.Client) -> None:
    gold = served.gold["workout_bpm_summary"]
    mine = everything(admin, WORKOUTS, user_id=OTHER)
    assert mine and {i["user_id"] for i in mine} == {OTHER}
    assert len(mine) == sum(r["user_id"] == OTHER for r in gold)

    day = gold[0]["start_time"].astimezone(UTC).date()
    that_day = everything(admin, WORKOUTS, start=str(day), end=str(day))
    assert that_day
    assert len(that_day) == sum(r["start_time"].astimezone(UTC).date() == day for r in gold)
    assert {utc(i["start_time"]).date() for i in that_day} == {day}
    since = everything(admin, WORKOUTS, start=str(day))
    assert len(since) == sum(r["start_time"].astimezone(UTC).date() >= day for r in gold)


def test_a_user_token_lists_only_its_own_workouts(served: Served, user: httpx.Client) -> None:
    own = sum(r["user_id"] == USER for r in served.gold["workout_bpm_summary"])
    assert own, "the user has no workout: the test proves nothing"
    items = everything(user, WORKOUTS)
    assert len(items) == own and {i["user_id"] for i in items} == {USER}
    # Asking for another user is an empty list, as for a user nobody has.
    assert ok(user.get(WORKOUTS, params={"user_id": OTHER}))["total"] == 0
    assert ok(user.get(WORKOUTS, params={"user_id": NOBODY}))["total"] == 0


# --- GET /v1/gyms/activity ------------------------------------------------------------------------


def gym_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (str(row["date"]), row["gym_id"], row["user_id"], row["workout_id"], row["session_id"])


def test_gym_activity_shows_mac_addresses_to_admins_only(
    served: Served, admin: httpx.Client, analyst: httpx.Client
) -> None:
    gold = {gym_key(r): r for r in served.gold["gym_activity_summary"]}
    assert gold, "the fleet has no gym session"
    as_admin = everything(admin, GYMS)
    assert {gym_key(i): i["mac_address"] for i in as_admin} == {
        k: r["mac_address"] for k, r in gold.items()
    }
    for item in as_admin:
        GymSession.model_validate(item)
        row = gold[gym_key(item)]
        assert (item["minutes_in_gym"], item["minutes_exercising"]) == (
            row["minutes_in_gym"],
            row["minutes_exercising"],
        )
    as_analyst = everything(analyst, GYMS)
    assert [gym_key(i) for i in as_analyst] == [gym_key(i) for i in as_admin]
    assert {i["mac_address"] for i in as_analyst} == {None}
    analyst_csv = analyst.get(GYMS, params={"format": "csv", "limit": 1000}).text
    assert not any(r["mac_address"] for r in csv.DictReader(io.StringIO(analyst_csv)))


def test_gym_activity_filters_by_date_and_gym(served: Served, admin: httpx.Client) -> None:
    gold = served.gold["gym_activity_summary"]
    day, gym = gold[0]["date"], gold[0]["gym_id"]
    on_day = everything(admin, GYMS, date=str(day))
    assert len(on_day) == sum(r["date"] == day for r in gold)
    in_gym = everything(admin, GYMS, date=str(day), gym_id=gym)
    assert len(in_gym) == sum(r["date"] == day and r["gym_id"] == gym for r in gold) > 0
    assert {(i["date"], i["gym_id"]) for i in in_gym} == {(str(day), gym)}


def test_a_user_token_lists_only_its_own_gym_sessions(served: Served) -> None:
    owner = served.gold["gym_activity_summary"][0]["user_id"]
    with served.client("admin") as admin:
        assert {i["user_id"] for i in everything(admin, GYMS)} != {owner}
    token = make_token(served.settings.home, Role.user, owner)
    with httpx.Client(
        base_url=served.server.base_url, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        items = everything(client, GYMS)
    assert {i["user_id"] for i in items} == {owner}
    assert len(items) == sum(r["user_id"] == owner for r in served.gold["gym_activity_summary"])
    assert {i["mac_address"] for i in items} != {None}


# --- GET /v1/heart-rate/by-activity ---------------------------------------------------------------


def test_heart_rate_by_activity_filters(served: Served, admin: httpx.Client) -> None:
    gold = served.gold["heart_rate_by_activity"]
    items = everything(admin, HEART_RATE)
    assert len(items) == len(gold)
    for item in items:
        ActivityHeartRate.model_validate(item)
    row = gold[0]
    by_name = everything(admin, HEART_RATE, activity=row["activity_name"].upper())
    by_id = everything(admin, HEART_RATE, activity=row["activity_id"])
    assert by_name == by_id
    assert len(by_id) == sum(r["activity_id"] == row["activity_id"] for r in gold)
    narrow = everything(
        admin,
        HEART_RATE,
        month=month_of(row["month"]),
        activity=row["activity_id"],
        age_group=row["age_group"],
        gender=row["gender"].upper(),
        country=row["country"].lower(),
    )
    assert len(narrow) == 1
    assert (narrow[0]["avg_bpm"], narrow[0]["readings"], narrow[0]["users"]) == (
        row["avg_bpm"],
        row["readings"],
        row["users"],
    )
    ages = everything(admin, HEART_RATE, age_group=row["age_group"])
    assert len(ages) == sum(r["age_group"] == row["age_group"] for r in gold)


# --- pagination and CSV ---------------------------------------------------------------------------


def test_pages_follow_next_links_to_the_whole_list(served: Served, admin: httpx.Client) -> None:
    total = len(served.gold["workout_bpm_summary"])
    assert total > 10
    seen: Rows = []
    url: str | None = f"{WORKOUTS}?limit=7"
    pages = 0
    while url:
        body = ok(admin.get(url))
        Page[WorkoutBpm].model_validate(body)
        assert body["total"] == total and body["limit"] == 7
        seen += body["items"]
        pages += 1
        url = body["next"]
    assert pages == -(-total // 7)
    assert seen == everything(admin, WORKOUTS)

    past = ok(admin.get(WORKOUTS, params={"offset": total + 5}))
    assert (past["items"], past["total"], past["next"]) == ([], total, None)
    last = ok(admin.get(WORKOUTS, params={"offset": total - 1, "limit": 5}))
    assert len(last["items"]) == 1 and last["next"] is None


def cell(value: Any) -> str:
    """How a JSON value reads in the CSV form."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


@pytest.mark.parametrize("path", list(LISTS))
def test_every_list_answers_csv_with_the_same_rows(admin: httpx.Client, path: str) -> None:
    params = {"limit": 4, "offset": 1}
    page = ok(admin.get(path, params=params))
    answer = admin.get(path, params={**params, "format": "csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["x-total-count"] == str(page["total"])
    if page["next"]:
        link = answer.headers["link"]
        assert link.startswith("<") and link.endswith('>; rel="next"')
        following = urlsplit(link[1 : -len('>; rel="next"')])
        expected = urlsplit(page["next"])
        assert following.path == expected.path
        assert parse_qs(following.query) == {**parse_qs(expected.query), "format": ["csv"]}
    reader = csv.reader(io.StringIO(answer.text))
    header = next(reader)
    assert header == list(LISTS[path].model_fields)
    rows = list(reader)
    assert page["items"], "an empty page proves nothing"
    assert rows == [[cell(item[c]) for c in header] for item in page["items"]]


# --- input validation and injection ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (DAILY.format(USER), {"start": "2026-02-30"}, "query.start"),
        (DAILY.format(USER), {"end": "yesterday"}, "query.end"),
        (WORKOUTS, {"start": "01/10/2026"}, "query.start"),
        (GYMS, {"date": "2026-13-01"}, "query.date"),
        (GYMS, {"gym_id": ""}, "query.gym_id"),
        (COHORTS, {"month": "2026-1"}, "query.month"),
        (HEART_RATE, {"month": "October"}, "query.month"),
        (HEART_RATE, {"age_group": "old"}, "query.age_group"),
        (HEART_RATE, {"country": "x" * 129}, "query.country"),
        (WORKOUTS, {"limit": 0}, "query.limit"),
        (WORKOUTS, {"limit": 1001}, "query.limit"),
        (GYMS, {"offset": -1}, "query.offset"),
        (COHORTS, {"format": "xml"}, "query.format"),
    ],
)
def test_invalid_inputs_are_422_naming_the_field(
    admin: httpx.Client, path: str, params: dict[str, Any], field: str
) -> None:
    body = error(admin.get(path, params=params), 422, "invalid_request")
    [problem] = body["errors"]
    assert problem["field"] == field
    assert problem["message"]


def test_error_messages_say_what_to_send(admin: httpx.Client) -> None:
    month = error(admin.get(COHORTS, params={"month": "2026-1"}), 422, "invalid_request")
    assert "YYYY-MM" in month["errors"][0]["message"]
    age = error(admin.get(HEART_RATE, params={"age_group": "old"}), 422, "invalid_request")
    assert "'95+'" in age["errors"][0]["message"]
    limit = error(admin.get(WORKOUTS, params={"limit": 5000}), 422, "invalid_request")
    assert "1000" in limit["errors"][0]["message"]
    swapped = admin.get(DAILY.format(USER), params={"start": "2026-10-05", "end": "2026-10-01"})
    assert "start <= end" in error(swapped, 422, "invalid_range")["message"]


INJECTIONS = ["' or 1=1 --", "x' union select * from user_daily --", "%' or '1'='1"]
STRING_FILTERS = [
    (WORKOUTS, "user_id"),
    (GYMS, "gym_id"),
    (HEART_RATE, "activity"),
    (HEART_RATE, "gender"),
    (HEART_RATE, "country"),
]
TYPED_FILTERS = [
    (COHORTS, "month"),
    (HEART_RATE, "month"),
    (HEART_RATE, "age_group"),
    (WORKOUTS, "start"),
    (GYMS, "date"),
    (DAILY.format(USER), "end"),
    (WORKOUTS, "format"),
    (GYMS, "limit"),
]


@pytest.mark.parametrize("attack", INJECTIONS)
def test_sql_injection_in_any_parameter_finds_nothing(
    served: Served, admin: httpx.Client, user: httpx.Client, attack: str
) -> None:
    for path, name in STRING_FILTERS:
        for client in (admin, user):
            body = ok(client.get(path, params={name: attack}))
            assert (body["items"], body["total"]) == ([], 0), (path, name)
    for path, name in TYPED_FILTERS:
        error(admin.get(path, params={name: attack}), 422, "invalid_request")
    for client in (admin, user):
        error(client.get(DAILY.format(quote(attack, safe=""))), 404, "unknown_user")
    # The server is unharmed: the full lists still answer.
    assert len(everything(admin, WORKOUTS)) == len(served.gold["workout_bpm_summary"])


# --- before gold exists ---------------------------------------------------------------------------


def test_before_the_first_transform_reads_answer_503_not_built(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    home = tmp_path_factory.mktemp("query-empty") / "home"
    token = make_token(home, Role.admin)
    with (
        ServerProcess(home) as server,
        httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}
        ) as client,
    ):
        for path in LISTS:
            answer = client.get(path)
            body = error(answer, 503, "not_built")
            assert "wearhouse transform" in body["message"]
            assert answer.headers["retry-after"]
        error(client.get(WORKOUTS, params={"limit": 0}), 422, "invalid_request")


# --- documentation --------------------------------------------------------------------------------


def test_openapi_documents_every_read_endpoint_with_csv_and_examples(admin: httpx.Client) -> None:
    schema = admin.get("/openapi.json").json()
    for path in (DAILY.format("{user_id}"), COHORTS, WORKOUTS, GYMS, HEART_RATE):
        operation = schema["paths"][path]["get"]
        content = operation["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv"}, path
        assert {p["name"] for p in operation["parameters"]} >= {"limit", "offset", "format"}
        assert {"401", "403", "422", "503"} <= set(operation["responses"])
    for model in ("DailySummary", "AgeGroupMonth", "WorkoutBpm", "GymSession", "ActivityHeartRate"):
        assert schema["components"]["schemas"][model]["examples"], model


# --- a transform while serving --------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A second server over a copy of the module's home, so adding data leaves the others alone."""
    home = tmp_path_factory.mktemp("query-live") / "home"
    shutil.copytree(served.settings.home, home, ignore=shutil.ignore_patterns("server.log"))
    with ServerProcess(home) as server:
        yield Served(server, Settings(home=home), served.gold, served.tokens)


def test_a_new_transform_is_served_without_a_restart(live: Served) -> None:
    latest = user_days(live, USER)[-1]
    new_day = latest["day"] + timedelta(days=1)
    [device] = latest["devices"]
    noon = datetime.combine(new_day, datetime.min.time(), UTC) + timedelta(hours=12)
    readings = [
        {"device_id": device, "ts": (noon + timedelta(minutes=m)).isoformat(), "bpm": 70 + m}
        for m in range(10)
    ]
    steps = [
        {"device_id": device, "ts": (noon + timedelta(minutes=m)).isoformat(), "steps": 100}
        for m in range(10)
    ]
    with live.client("device") as device_client:
        assert device_client.post("/v1/ingest/heart_rate", json=readings).status_code == 202
        assert device_client.post("/v1/ingest/steps", json=steps).status_code == 202

    # Reads keep answering from the old snapshot while the transform runs in this process.
    statuses: list[int] = []
    stop = threading.Event()

    def read_while_transforming() -> None:
        with live.client("user") as client:
            while not stop.is_set():
                statuses.append(client.get(DAILY.format(USER)).status_code)
                time.sleep(0.05)

    reader = threading.Thread(target=read_while_transforming)
    reader.start()
    try:
        transform(live.settings)
    finally:
        stop.set()
        reader.join()
    assert statuses and set(statuses) == {200}, statuses

    process = live.server.process
    deadline = time.monotonic() + 30
    with live.client("user") as client:
        while True:
            body = ok(client.get(DAILY.format(USER)))
            if body["end"] == str(new_day) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert body["end"] == str(new_day), "the new day was not served within 30 s"
    [added] = [i for i in body["items"] if i["day"] == str(new_day)]
    assert (added["step_count"], added["readings"], added["min_bpm"], added["max_bpm"]) == (
        1000,
        10,
        70.0,
        79.0,
    )
    assert live.server.process is process and live.server.starts == 1
