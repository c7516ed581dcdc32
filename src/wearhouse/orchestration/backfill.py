"""Backfills: rebuild gold for a range of days, one transform per day or per month, in order."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from wearhouse.errors import TerminalError
from wearhouse.settings import Settings
from wearhouse.transform.runner import NodeCallback
from wearhouse.transform.service import TransformReport, transform

READING_DAYS = {
    "heart_rate": "ts",
    "steps": "ts",
    "sleep_sessions": "end_ts",
}
"""Silver tables whose timestamps say which days have data (sleep counts on the day it ends)."""


class By(StrEnum):
    """How a backfill range is cut into transforms (and Dagster partitions)."""

    day = "day"
    month = "month"


class BackfillError(TerminalError):
    """A backfill range that cannot be run; the message says how to fix it."""


@dataclass
class PartitionResult:
    """One rebuilt partition: its days and what its transform did."""

    first: date
    last: date
    report: TransformReport
    seconds: float


@dataclass
class BackfillReport:
    """The partitions rebuilt, in order, and the days of the request left out for having no data."""

    partitions: list[PartitionResult] = field(default_factory=list)
    skipped: list[tuple[date, date]] = field(default_factory=list)


def partitions(first: date, last: date, by: By) -> list[tuple[date, date]]:
    """The inclusive (first, last) day ranges covering first..last: one per day or calendar month."""
    if by is By.day:
        return [(d, d) for d in _days(first, last)]
    ranges = []
    start = first
    while start <= last:
        month_end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        ranges.append((start, min(month_end, last)))
        start = month_end + timedelta(days=1)
    return ranges


def _days(first: date, last: date) -> Iterator[date]:
    for n in range((last - first).days + 1):
        yield first + timedelta(days=n)


def check_range(start: date, end: date, today: date | None = None) -> None:
    """Refuse ranges that end before they start or reach past today (UTC)."""
    today = today or datetime.now(UTC).date()
    if end < start:
        raise BackfillError(f"--end {end} is before --start {start}: swap them.")
    if end > today:
        raise BackfillError(
            f"--end {end} is in the future (today is {today} UTC): end the range at {today} "
            "or earlier."
        )


def data_span(settings: Settings) -> tuple[date, date] | None:
    """The first and last day with readings or sleeps in silver, None when silver has none."""
    from wearhouse.lake import read

    con = read.connect(settings, layers=("silver",))
    try:
        views = con.execute("select view_name from duckdb_views() where schema_name = 'silver'")
        tables = {name for (name,) in views.fetchall()}
        parts = [
            f"select min({col})::date as first, max({col})::date as last from silver.{name}"
            for name, col in READING_DAYS.items()
            if name in tables
        ]
        if not parts:
            return None
        [(first, last)] = con.execute(
            f"select min(first), max(last) from ({' union all '.join(parts)})"
        ).fetchall()
    finally:
        con.close()
    return None if first is None else (first, last)


def clip(start: date, end: date, span: tuple[date, date] | None) -> tuple[date, date]:
    """The part of start..end that has data; BackfillError when there is none."""
    if span is None:
        raise BackfillError(
            "no data to backfill: silver has no readings yet. Ingest data "
            "(`wearhouse ingest PATH`) and run `wearhouse transform` first."
        )
    first, last = max(start, span[0]), min(end, span[1])
    if first > last:
        raise BackfillError(
            f"no data between {start} and {end}: readings cover {span[0]} to {span[1]}. "
            "Pick days inside that span."
        )
    return first, last


@dataclass
class Plan:
    """The partitions a backfill will rebuild, oldest first, and the requested days without data."""

    partitions: list[tuple[date, date]]
    skipped: list[tuple[date, date]]


def plan(settings: Settings, start: date, end: date, by: By = By.day) -> Plan:
    """Check the range and cut the part of it that has data into partitions."""
    check_range(start, end)
    first, last = clip(start, end, data_span(settings))
    return Plan(partitions(first, last, by), _outside(start, end, first, last))


def backfill(
    settings: Settings,
    planned: Plan,
    *,
    on_partition: Callable[[int, date, date], None] | None = None,
    on_node: NodeCallback | None = None,
) -> BackfillReport:
    """Rebuild each planned partition with `transform(settings, rebuild=(first, last))`, in order.

    A failure stops the backfill; the partitions already rebuilt stay published.
    """
    report = BackfillReport(skipped=planned.skipped)
    for index, (first, last) in enumerate(planned.partitions):
        if on_partition:
            on_partition(index, first, last)
        began = time.perf_counter()
        result = transform(settings, rebuild=(first, last), on_node=on_node)
        report.partitions.append(PartitionResult(first, last, result, time.perf_counter() - began))
    return report


def _outside(start: date, end: date, first: date, last: date) -> list[tuple[date, date]]:
    skipped = []
    if start < first:
        skipped.append((start, first - timedelta(days=1)))
    if last < end:
        skipped.append((last + timedelta(days=1), end))
    return skipped
