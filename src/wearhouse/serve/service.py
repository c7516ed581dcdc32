"""The query API's questions over a gold snapshot: one query type per endpoint.

Every query is a frozen dataclass (so it can key the snapshot's memo) whose `run` answers one page
of rows and the number of rows in all. SQL text is fixed at import; each value a caller sends is
a DuckDB parameter, and optional filters are written `($x is null or column = $x)`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar, Protocol

from wearhouse.ingest.errors import ApiError
from wearhouse.serve.access import Scope
from wearhouse.serve.models import AgeGroup
from wearhouse.serve.snapshot import GoldSnapshot

DEFAULT_DAYS = 30
AGE_ORDER = (
    "case age_group when 'under 18' then 0 when '95+' then 99 when 'unknown' then 100 "
    "else cast(split_part(age_group, '-', 1) as integer) end"
)


@dataclass(frozen=True, slots=True)
class Window:
    """Which page of a list: at most `limit` rows after skipping `offset`."""

    limit: int = 100
    offset: int = 0


@dataclass
class Rows:
    """One page of rows, how many rows match in all, and fields that describe the page."""

    items: list[dict[str, Any]]
    total: int
    about: dict[str, Any] = field(default_factory=dict)


class Query(Hashable, Protocol):
    """A question to a snapshot."""

    cheap: ClassVar[bool]
    """Answered in microseconds: run it on the event loop, never remember it."""

    def run(self, snapshot: GoldSnapshot) -> Rows: ...


def answer(snapshot: GoldSnapshot, query: Query) -> Rows:
    """The query's rows; answers of costly queries are remembered for the snapshot's lifetime."""
    if query.cheap:
        return query.run(snapshot)
    return snapshot.memoised(query, lambda: query.run(snapshot), lambda rows: len(rows.items) + 1)


def _page(
    snapshot: GoldSnapshot,
    table: str,
    select: str,
    order: str,
    params: dict[str, Any],
    window: Window,
) -> Rows:
    """Run `select` (a constant SQL text) paged, with the total count of its rows."""
    snapshot.require(table)
    found = snapshot.query(
        f"select *, count(*) over () as total_rows from ({select}) order by {order} "
        "limit $limit offset $offset",
        {**params, "limit": window.limit, "offset": window.offset},
    )
    if found:
        total = found[0]["total_rows"]
        for row in found:
            del row["total_rows"]
        return Rows(found, total)
    if window.offset == 0:
        return Rows([], 0)
    [counted] = snapshot.query(f"select count(*) as n from ({select})", params)
    return Rows([], counted["n"])


def _days_before(day: date, days: int) -> date:
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min


def _check_range(start: date | None, end: date | None) -> None:
    """422 when a date range ends before it starts."""
    if start and end and start > end:
        raise ApiError(422, "invalid_range", f"start {start} is after end {end}: send start <= end")


@dataclass(frozen=True, slots=True)
class UserDaily:
    """One user's days in [start, end]; without either, the 30 days up to their latest day."""

    cheap: ClassVar[bool] = True
    scope: Scope
    user_id: str
    start: date | None
    end: date | None
    window: Window

    def run(self, snapshot: GoldSnapshot) -> Rows:
        """The days, oldest first; 404 alike for unknown users and users the reader may not see."""
        _check_range(self.start, self.end)
        snapshot.require("user_daily")
        assert snapshot.daily is not None
        latest = snapshot.daily.latest_day(self.user_id)
        if latest is None or not self.scope.may_see_user(self.user_id):
            raise ApiError(
                404,
                "unknown_user",
                f"no daily data for user {self.user_id!r}: check the id",
            )
        end = self.end or max(latest, self.start or latest)
        start = self.start or _days_before(end, DEFAULT_DAYS - 1)
        items, total = snapshot.daily.days(
            self.user_id, start, end, self.window.offset, self.window.limit
        )
        return Rows(items, total, {"user_id": self.user_id, "start": start, "end": end})


AGE_GROUPS_SQL = f"""
    select strftime(month, '%Y-%m') as month, age_group, users, avg_sleep_bpm,
           avg_step_count as avg_monthly_steps, avg_bpm, readings,
           month as month_start, {AGE_ORDER} as age_rank
    from age_group_monthly
    where ($month is null or month = $month) and users >= $min_users
"""


@dataclass(frozen=True, slots=True)
class AgeGroupsMonthly:
    """Average sleeping BPM, monthly steps and BPM per age group, for one month or all."""

    cheap: ClassVar[bool] = False
    scope: Scope
    month: date | None
    window: Window

    def run(self, snapshot: GoldSnapshot) -> Rows:
        """Months oldest first, age groups youngest first."""
        params = {"month": self.month, "min_users": self.scope.min_group_users}
        rows = _page(
            snapshot, "age_group_monthly", AGE_GROUPS_SQL, "month_start, age_rank", params,
            self.window,
        )  # fmt: skip
        for row in rows.items:
            del row["month_start"], row["age_rank"]
        return rows


WORKOUTS_SQL = """
    select user_id, workout_id, session_id, start_time, end_time, age_group, gender, city, state,
           min_bpm, avg_bpm, max_bpm, num_recordings
    from workout_bpm_summary
    where ($own is null or user_id = $own)
      and ($user is null or user_id = $user)
      and ($start is null or cast(start_time as date) >= $start)
      and ($end is null or cast(start_time as date) <= $end)
"""


@dataclass(frozen=True, slots=True)
class WorkoutBpmSummary:
    """Completed workouts with their BPM, filtered by user and by the UTC day they started."""

    cheap: ClassVar[bool] = False
    scope: Scope
    user_id: str | None
    start: date | None
    end: date | None
    window: Window

    def run(self, snapshot: GoldSnapshot) -> Rows:
        """Most recent first."""
        params = {
            "own": self.scope.own_user,
            "user": self.user_id,
            "start": self.start,
            "end": self.end,
        }
        order = "start_time desc, user_id, workout_id, session_id"
        return _page(snapshot, "workout_bpm_summary", WORKOUTS_SQL, order, params, self.window)


GYMS_SQL = """
    select date, gym_id, case when $show_mac then mac_address end as mac_address, user_id,
           workout_id, session_id, login, logout, start_time, end_time, minutes_in_gym,
           minutes_exercising
    from gym_activity_summary
    where ($own is null or user_id = $own)
      and ($date is null or date = $date)
      and ($gym is null or gym_id = $gym)
"""


@dataclass(frozen=True, slots=True)
class GymActivity:
    """Workout sessions inside gym visits, by the visit's UTC day and gym."""

    cheap: ClassVar[bool] = False
    scope: Scope
    day: date | None
    gym_id: str | None
    window: Window

    def run(self, snapshot: GoldSnapshot) -> Rows:
        """Most recent day first, then gym, login and user."""
        params = {
            "show_mac": self.scope.sees_mac_address,
            "own": self.scope.own_user,
            "date": self.day,
            "gym": self.gym_id,
        }
        order = "date desc, gym_id, login, user_id, start_time, workout_id, session_id"
        return _page(snapshot, "gym_activity_summary", GYMS_SQL, order, params, self.window)


HEART_RATE_SQL = f"""
    select strftime(month, '%Y-%m') as month, activity_id, activity_name, intensity, age_group,
           gender, country, avg_bpm, min_bpm, max_bpm, readings, users,
           month as month_start, {AGE_ORDER} as age_rank
    from heart_rate_by_activity
    where users >= $min_users
      and ($month is null or month = $month)
      and ($activity is null or activity_id = $activity
           or lower(activity_name) = lower($activity))
      and ($age_group is null or age_group = $age_group)
      and ($gender is null or lower(gender) = lower($gender))
      and ($country is null or lower(country) = lower($country))
"""


@dataclass(frozen=True, slots=True)
class HeartRateByActivity:
    """Heart rate per activity by month, age group, gender and country."""

    cheap: ClassVar[bool] = False
    scope: Scope
    month: date | None
    activity: str | None
    age_group: AgeGroup | None
    gender: str | None
    country: str | None
    window: Window

    def run(self, snapshot: GoldSnapshot) -> Rows:
        """Months oldest first, then activity, age group, gender and country."""
        params = {
            "min_users": self.scope.min_group_users,
            "month": self.month,
            "activity": self.activity,
            "age_group": None if self.age_group is None else self.age_group.value,
            "gender": self.gender,
            "country": self.country,
        }
        order = (
            "month_start, try_cast(activity_id as integer) nulls last, activity_id, age_rank, "
            "gender, country"
        )
        rows = _page(snapshot, "heart_rate_by_activity", HEART_RATE_SQL, order, params, self.window)
        for row in rows.items:
            del row["month_start"], row["age_rank"]
        return rows


def _number(value: Any) -> float | None:
    """A measure from the daily index, where a missing double is NaN."""
    return None if value is None or value != value else float(value)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _fleet_days(snapshot: GoldSnapshot) -> list[dict[str, Any]]:
    """Every user's days, as the daily index holds them, each with its user_id."""
    snapshot.require("user_daily")
    assert snapshot.daily is not None
    daily = snapshot.daily
    rows: list[dict[str, Any]] = []
    for user_id in daily.users():
        items, _ = daily.days(user_id, date.min, date.max, 0, len(daily))
        rows.extend({**item, "user_id": user_id} for item in items)
    return rows


def _fleet_by_day(snapshot: GoldSnapshot) -> list[dict[str, Any]]:
    """One row per UTC day over the whole fleet, oldest first (remembered per snapshot)."""

    def compute() -> list[dict[str, Any]]:
        days: dict[date, list[dict[str, Any]]] = {}
        for row in _fleet_days(snapshot):
            days.setdefault(row["day"], []).append(row)
        return [_fleet_day(day, rows) for day, rows in sorted(days.items())]

    return snapshot.memoised(("fleet", "by_day"), compute, len)


def _fleet_day(day: date, rows: list[dict[str, Any]]) -> dict[str, Any]:
    readings = sum(r["readings"] for r in rows)
    weighted = [(_number(r["avg_bpm"]), r["readings"]) for r in rows]
    bpm_sum = sum(bpm * n for bpm, n in weighted if bpm is not None)
    mins = [v for r in rows if (v := _number(r["min_bpm"])) is not None]
    maxes = [v for r in rows if (v := _number(r["max_bpm"])) is not None]
    steps = sum(r["step_count"] for r in rows)
    return {
        "day": day,
        "users": len(rows),
        "devices": len({d for r in rows for d in r["devices"] or ()}),
        "step_count": steps,
        "avg_steps": steps / len(rows),
        "avg_bpm": bpm_sum / readings if readings else None,
        "min_bpm": min(mins, default=None),
        "max_bpm": max(maxes, default=None),
        "avg_resting_bpm": _mean([v for r in rows if (v := _number(r["resting_bpm"])) is not None]),
        "avg_sleep_minutes": _mean(
            [v for r in rows if (v := _number(r["sleep_minutes"])) is not None]
        ),
        "readings": readings,
    }


@dataclass(frozen=True, slots=True)
class FleetDaily:
    """The whole fleet per UTC day in [start, end]: people, devices, steps, heart rate, sleep."""

    cheap: ClassVar[bool] = False
    start: date | None
    end: date | None
    window: Window

    def run(self, snapshot: GoldSnapshot) -> Rows:
        """Oldest day first."""
        _check_range(self.start, self.end)
        rows = [
            row
            for row in _fleet_by_day(snapshot)
            if (self.start is None or row["day"] >= self.start)
            and (self.end is None or row["day"] <= self.end)
        ]
        window = self.window
        return Rows(rows[window.offset : window.offset + window.limit], len(rows))


FLEET_USER_ORDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "user_id": lambda row: row["user_id"],
    "steps": lambda row: (-row["step_count"], row["user_id"]),
    "latest": lambda row: (-row["last_day"].toordinal(), row["user_id"]),
}
"""How the user list can be ordered: by id, most steps first, most recently seen first."""


def _fleet_users(snapshot: GoldSnapshot) -> list[dict[str, Any]]:
    """One row per user with data, in id order (remembered per snapshot)."""

    def compute() -> list[dict[str, Any]]:
        users: dict[str, list[dict[str, Any]]] = {}
        for row in _fleet_days(snapshot):
            users.setdefault(row["user_id"], []).append(row)
        return [_fleet_user(user_id, rows) for user_id, rows in users.items()]

    return snapshot.memoised(("fleet", "users"), compute, len)


def _fleet_user(user_id: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    readings = sum(r["readings"] for r in rows)
    bpm_sum = sum(bpm * r["readings"] for r in rows if (bpm := _number(r["avg_bpm"])) is not None)
    steps = sum(r["step_count"] for r in rows)
    return {
        "user_id": user_id,
        "days": len(rows),
        "first_day": rows[0]["day"],
        "last_day": rows[-1]["day"],
        "step_count": steps,
        "avg_daily_steps": steps / len(rows),
        "avg_bpm": bpm_sum / readings if readings else None,
        "readings": readings,
        "devices": sorted({d for r in rows for d in r["devices"] or ()}),
    }


@dataclass(frozen=True, slots=True)
class FleetUsers:
    """Every user with daily data, with their totals over all days."""

    cheap: ClassVar[bool] = False
    order: str
    window: Window

    def run(self, snapshot: GoldSnapshot) -> Rows:
        """In the asked order (see FLEET_USER_ORDERS)."""
        rows = sorted(_fleet_users(snapshot), key=FLEET_USER_ORDERS[self.order])
        window = self.window
        return Rows(rows[window.offset : window.offset + window.limit], len(rows))
