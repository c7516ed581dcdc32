"""gold.user_daily held as Arrow sorted by (user_id, day), with each user's row range.

The per-user endpoint is a point lookup and the hottest read. In DuckDB it costs 1.2-1.8 ms a
query at 1,000 users x 365 days (planning and a row-group scan, even on a sorted in-memory table),
which alone would cap two cores below the 2,000 requests/s target; here it is two binary searches
and a slice of a few dozen rows, in microseconds. Columns are kept as numpy arrays because their
`tolist()` makes Python values at half the cost of Arrow's `to_pylist()`; a missing double is
NaN there, which orjson writes as null.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

COLUMNS = (  # devices last: the one column not held in numpy
    "day",
    "step_count",
    "avg_bpm",
    "min_bpm",
    "max_bpm",
    "resting_bpm",
    "sleep_minutes",
    "avg_sleep_bpm",
    "readings",
    "devices",
)
EPOCH = date(1970, 1, 1)


def _ordinal(day: date) -> int:
    return (day - EPOCH).days


class DailyIndex:
    """Days of each user, looked up by user id and date range."""

    def __init__(self, table: pa.Table) -> None:
        """`table` holds user_id and COLUMNS, sorted by user_id then day."""
        users = table.column("user_id").combine_chunks()
        runs = pc.run_end_encode(users) if len(users) else None
        ends = runs.run_ends.to_pylist() if runs is not None else []
        names = runs.values.to_pylist() if runs is not None else []
        starts = [0, *ends[:-1]]
        self._ranges = dict(zip(names, zip(starts, ends, strict=True), strict=True))
        self._days = table.column("day").cast(pa.int32()).to_numpy()
        self._columns = [table.column(name).to_numpy(zero_copy_only=False) for name in COLUMNS[:-1]]
        self._devices = table.column("devices").combine_chunks()

    def __len__(self) -> int:
        return len(self._days)

    def users(self) -> list[str]:
        """Every user with at least one day, in id order."""
        return list(self._ranges)

    def latest_day(self, user_id: str) -> date | None:
        """The user's most recent day with data, or None when the user has none."""
        found = self._ranges.get(user_id)
        if found is None:
            return None
        return date.fromordinal(EPOCH.toordinal() + int(self._days[found[1] - 1]))

    def days(
        self, user_id: str, start: date, end: date, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The user's days in [start, end], oldest first: one page of them and how many in all."""
        first, last = self._ranges.get(user_id, (0, 0))
        days = self._days[first:last]
        low = first + int(np.searchsorted(days, _ordinal(start), side="left"))
        high = first + int(np.searchsorted(days, _ordinal(end), side="right"))
        total = max(0, high - low)
        begin = min(low + offset, high)
        stop = begin + max(0, min(limit, high - begin))
        values = [column[begin:stop].tolist() for column in self._columns]
        values.append(self._devices.slice(begin, stop - begin).to_pylist())
        return [dict(zip(COLUMNS, row, strict=True)) for row in zip(*values, strict=True)], total
