"""A consistent, in-memory snapshot of the served gold tables, replaced when a transform publishes.

Each snapshot copies the current Delta version of every served table into its own in-memory
DuckDB (user_daily into a DailyIndex), so a request reads one fixed version of each table however
long it runs, and serving never opens the warehouse file a transform writes: no lock conflicts
with `wearhouse transform` in another process. A refresher thread reads the tables' versions
every few seconds and builds a new snapshot in the background once they changed and held still
for one more check (a publish writes its tables one after another); requests keep the old one
until the new one is swapped in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import duckdb

from wearhouse.lake.read import open_table, register, table_versions
from wearhouse.serve.daily import COLUMNS, DailyIndex
from wearhouse.settings import Settings

log = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0
MEMO_ROWS = 200_000
"""Rows of answers remembered per snapshot (it never changes, so an answer never goes stale)."""

SERVED = {
    "user_daily": "user_id, day",  # held by a DailyIndex, not in DuckDB
    "age_group_monthly": "month, age_group",
    "workout_bpm_summary": "start_time desc, user_id, workout_id, session_id",
    "gym_activity_summary": "date desc, gym_id, login, user_id, start_time",
    "heart_rate_by_activity": "month, activity_id, age_group, gender, country",
}
"""Gold tables the API reads, and the order they are stored in (the lists' usual order)."""

Versions = dict[str, int | None]
Answer = TypeVar("Answer")


class GoldNotBuilt(LookupError):
    """A served gold table has not been published yet."""

    def __init__(self, table: str) -> None:
        super().__init__(f"gold.{table} has not been built yet: run `wearhouse transform`")
        self.table = table


def gold_versions(settings: Settings) -> Versions:
    """The current Delta version of each served table (None when not built); ~2 ms a table."""
    return table_versions("gold", SERVED, settings)


@dataclass
class GoldSnapshot:
    """One version of each served gold table: DuckDB tables plus the user_daily index."""

    con: duckdb.DuckDBPyConnection
    versions: Versions
    daily: DailyIndex | None
    built_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _memo: dict[Hashable, Any] = field(default_factory=dict)
    _memo_rows: int = 0

    def require(self, table: str) -> None:
        """Raise GoldNotBuilt when `table` was not published when the snapshot was taken."""
        if self.versions.get(table) is None:
            raise GoldNotBuilt(table)

    def query(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Rows of a parameterised query, as dicts, on a cursor of this snapshot's database."""
        with self._lock:  # creating a cursor touches the shared connection
            cursor = self.con.cursor()
        try:
            result = cursor.execute(sql, params)
            names = [d[0] for d in result.description or ()]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        finally:
            cursor.close()

    def memoised(
        self, key: Hashable, compute: Callable[[], Answer], size: Callable[[Answer], int]
    ) -> Answer:
        """compute(), remembered under `key` while at most MEMO_ROWS rows are remembered."""
        if key in self._memo:
            return self._memo[key]  # type: ignore[no-any-return]
        value = compute()
        rows = size(value)
        if self._memo_rows + rows > MEMO_ROWS:
            self._memo.clear()
            self._memo_rows = 0
        self._memo[key] = value
        self._memo_rows += rows
        return value

    def remembered(self, key: Hashable) -> Any | None:
        """A remembered answer, or None."""
        return self._memo.get(key)


def build_snapshot(settings: Settings) -> GoldSnapshot:
    """Copy the current version of every served gold table into a new in-memory database."""
    started = time.perf_counter()
    con = duckdb.connect(
        config={"threads": settings.engine.threads, "memory_limit": settings.engine.memory_limit}
    )
    con.execute("set TimeZone = 'UTC'")
    versions: Versions = {}
    daily = None
    for table, order in SERVED.items():
        delta = open_table("gold", table, settings)
        versions[table] = None if delta is None else delta.version()
        if delta is None:
            continue
        # The view names the files of this version; the copy outlives any later vacuum.
        register(con, f"delta_{table}", delta)
        if table == "user_daily":  # sorted by Arrow: DuckDB's sort buffers stay in the RSS
            rows = con.sql(f"select {', '.join(('user_id', *COLUMNS))} from delta_{table}")
            daily = DailyIndex(
                rows.to_arrow_table().sort_by([("user_id", "ascending"), ("day", "ascending")])
            )
        else:
            con.execute(f"create table {table} as select * from delta_{table} order by {order}")
        con.execute(f"drop view delta_{table}")
    return GoldSnapshot(con, versions, daily, time.perf_counter() - started)


class GoldSnapshots:
    """The current snapshot, and the thread that replaces it after each publish."""

    def __init__(self, settings: Settings, interval: float = REFRESH_SECONDS) -> None:
        self.settings = settings
        self.interval = interval
        self._current: GoldSnapshot | None = None
        self._pending: Versions | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failing = False
        """The last refresh raised (the previous snapshot, if any, is still served)."""

    def current(self) -> GoldSnapshot | None:
        """The snapshot to answer from (None until the first one is built)."""
        return self._current

    def refresh(self) -> bool:
        """Build a new snapshot when the tables changed and held still since the last check."""
        seen = gold_versions(self.settings)
        if self._current is not None and seen == self._current.versions:
            self._pending = None
            return False
        if self._current is not None and seen != self._pending:
            self._pending = seen  # a publish may be midway: wait one more check
            return False
        snapshot = build_snapshot(self.settings)
        self._current, self._pending = snapshot, None
        log.info(
            "serving gold versions %s (built in %.2f s)", snapshot.versions, snapshot.built_seconds
        )
        return True

    def start(self) -> None:
        """Build the first snapshot and start refreshing every `interval` seconds."""
        self._safe_refresh()
        self._thread = threading.Thread(target=self._run, name="gold-snapshots", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop refreshing and release the snapshot."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._current = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._safe_refresh()

    def _safe_refresh(self) -> None:
        try:
            self.refresh()
            self.failing = False
        except Exception:  # a bad table must not stop serving the last good snapshot
            self.failing = True
            log.exception("could not refresh the gold snapshot; serving the previous one")
