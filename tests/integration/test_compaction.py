"""Background compaction of bronze: fewer files, the same rows, appends and idempotency unaffected."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import duckdb
import pytest
from deltalake import DeltaTable

from wearhouse.ingest.idempotency import METADATA_KEY, IdempotencyStore
from wearhouse.lake import bronze
from wearhouse.lake.compaction import Compactor
from wearhouse.settings import Settings

pytestmark = pytest.mark.integration


def _payloads(commit: int, n: int = 50) -> list[str]:
    return [
        json.dumps({"device_id": f"d{commit}", "ts": f"2026-11-01T00:00:{i:02d}Z", "bpm": 60 + i})
        for i in range(n)
    ]


def _rows(table: DeltaTable) -> list[tuple[str, str]]:
    files = table.file_uris()
    return duckdb.sql(
        f"select payload, _batch_id from read_parquet({files!r}) order by all"
    ).fetchall()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    home = Settings(home=tmp_path / "home")
    bronze.ensure_tables(home)
    return home


def test_compaction_keeps_every_row_and_reduces_files(settings: Settings) -> None:
    compactor = Compactor(every=10, lock_dir=settings.home / "state" / "locks")
    path = settings.lake / "bronze" / "heart_rate"
    expected = []
    bronze._COMPACTOR = compactor
    try:
        for commit in range(35):
            rows = _payloads(commit)
            batch = bronze.append("heart_rate", rows, source="http", settings=settings)
            expected += [(row, batch) for row in rows]
    finally:
        bronze._COMPACTOR = None
        compactor.close(finish_queued=True)

    table = DeltaTable(str(path))
    assert compactor.compactions == 3  # after commits 10, 20 and 30
    assert len(table.file_uris()) < 10  # 35 commits would have left 35 files
    assert _rows(table) == sorted(expected)
    operations = [commit["operation"] for commit in table.history()]
    # A compaction that runs late finds the files of the next ten commits too, and the one after
    # it may then have nothing left to rewrite (and commits nothing).
    assert 1 <= operations.count("OPTIMIZE") <= 3
    # Compaction rewrites files but adds no data: readers of new data must be able to tell.
    optimize_adds = []
    for entry in sorted((path / "_delta_log").glob("*.json")):
        actions = [json.loads(line) for line in entry.read_text().splitlines()]
        if any(a.get("commitInfo", {}).get("operation") == "OPTIMIZE" for a in actions):
            optimize_adds += [a["add"] for a in actions if "add" in a]
    assert optimize_adds and all(add["dataChange"] is False for add in optimize_adds)


def test_appends_while_compacting_are_kept_and_keys_reload(settings: Settings) -> None:
    """Another thread appends with idempotency keys while compaction runs after every 5 commits."""
    compactor = Compactor(every=5, lock_dir=settings.home / "state" / "locks")
    bronze._COMPACTOR = compactor
    written: list[str] = []

    def writer(offset: int) -> None:
        for commit in range(offset, offset + 40):
            rows = _payloads(commit, 20)
            bronze.append(
                "heart_rate",
                rows,
                source="http",
                settings=settings,
                commit_metadata={METADATA_KEY: json.dumps({f"key-{commit}": {"accepted": 20}})},
            )
            written.extend(rows)

    threads = [threading.Thread(target=writer, args=(offset,)) for offset in (0, 1000)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        bronze._COMPACTOR = None
        compactor.close(finish_queued=True)

    table = DeltaTable(str(settings.lake / "bronze" / "heart_rate"))
    assert sorted(payload for payload, _ in _rows(table)) == sorted(written)
    assert compactor.compactions >= 1
    assert any(commit["operation"] == "OPTIMIZE" for commit in table.history())
    store = IdempotencyStore(3600)
    assert store.load(settings) == 80
    assert store.get("key-1039") == {"accepted": 20}


def test_a_table_locked_by_another_process_is_skipped(settings: Settings) -> None:
    import fcntl

    lock_dir = settings.home / "state" / "locks"
    lock_dir.mkdir(parents=True)
    with (lock_dir / "bronze.steps.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        bronze._COMPACTOR = compactor = Compactor(every=2, lock_dir=lock_dir)
        try:
            for commit in range(4):
                bronze.append("steps", [json.dumps({"device_id": "d", "ts": commit, "steps": 1})],
                              source="http", settings=settings)  # fmt: skip
        finally:
            bronze._COMPACTOR = None
            compactor.close(finish_queued=True)
    assert compactor.compactions == 0
    table = DeltaTable(str(settings.lake / "bronze" / "steps"))
    assert "OPTIMIZE" not in [commit["operation"] for commit in table.history()]
