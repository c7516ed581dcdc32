"""Bronze's durable appends: a valid Delta log that delta-rs and DuckDB read, shared safely with
delta-rs writers, checkpointed, and never leaving a gap when the table is replaced."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from deltalake import CommitProperties, DeltaTable, write_deltalake

from wearhouse.lake import append, bronze
from wearhouse.lake.append import DeltaAppender, UnsupportedTable, _timestamp_stat
from wearhouse.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    home = Settings(home=tmp_path / "home")
    bronze.ensure_tables(home)
    return home


def _payloads(commit: int, n: int = 20) -> list[str]:
    return [json.dumps({"device_id": f"d{commit}", "ts": i, "bpm": 60 + i}) for i in range(n)]


def _log(path: Path) -> list[list[dict]]:
    return [
        [json.loads(line) for line in entry.read_text().splitlines()]
        for entry in sorted((path / "_delta_log").glob("*.json"))
    ]


def test_appends_are_read_back_alike_by_delta_rs_and_duckdb(settings: Settings) -> None:
    path = settings.lake / "bronze" / "heart_rate"
    written = []
    for commit in range(5):
        rows = _payloads(commit)
        batch = bronze.append(
            "heart_rate", rows, source="http", settings=settings,
            commit_metadata={"wearhouse.test": str(commit)},
        )  # fmt: skip
        written += [(row, batch) for row in rows]

    table = DeltaTable(str(path))
    assert table.version() == 5
    arrow = table.to_pyarrow_table()
    assert arrow.schema.equals(bronze.BRONZE_SCHEMA, check_metadata=False)
    stored = zip(arrow["payload"].to_pylist(), arrow["_batch_id"].to_pylist(), strict=True)
    assert sorted(stored) == sorted(written)
    assert set(arrow["_source"].to_pylist()) == {"http"}
    seen = duckdb.sql(
        f"select count(*), count(distinct _batch_id) from read_parquet({table.file_uris()!r})"
    ).fetchall()
    assert seen == [(100, 5)]
    # The commit metadata lands in commitInfo, where history() (and the idempotency keys) find it.
    assert [c.get("wearhouse.test") for c in table.history() if c["operation"] == "WRITE"][:5] == [
        "4", "3", "2", "1", "0",
    ]  # fmt: skip


def test_statistics_bound_every_row_so_readers_can_skip_files(settings: Settings) -> None:
    path = settings.lake / "bronze" / "steps"
    bronze.append("steps", _payloads(0), source="http", settings=settings)
    (add,) = [a["add"] for a in _log(path)[-1] if "add" in a]
    stats = json.loads(add["stats"])
    assert stats["numRecords"] == 20
    assert "payload" not in stats["minValues"]  # JSON text: no statistics
    row_at = DeltaTable(str(path)).to_pyarrow_table()["_ingested_at"][0].as_py()
    low = datetime.fromisoformat(stats["minValues"]["_ingested_at"])
    high = datetime.fromisoformat(stats["maxValues"]["_ingested_at"])
    assert low <= row_at <= high and high - low <= timedelta(milliseconds=1)
    # delta-rs skips files by these statistics: a filter just past the rows finds none.
    table = DeltaTable(str(path))
    after = table.to_pyarrow_dataset().filter(
        pa.compute.field("_ingested_at") > pa.scalar(high, pa.timestamp("us", tz="UTC"))
    )
    assert after.count_rows() == 0


def test_timestamp_statistics_round_outwards() -> None:
    at = datetime(2026, 11, 27, 1, 2, 3, 712_345, tzinfo=UTC)
    assert _timestamp_stat(at, upper=False) == "2026-11-27T01:02:03.712Z"
    assert _timestamp_stat(at, upper=True) == "2026-11-27T01:02:03.713Z"
    exact = at.replace(microsecond=712_000)
    assert _timestamp_stat(exact, upper=True) == "2026-11-27T01:02:03.712Z"


def test_appends_interleave_with_delta_rs_writers(settings: Settings) -> None:
    """Two threads append through the appender while a third appends with write_deltalake: the
    versions stay contiguous and every row is there once."""
    path = settings.lake / "bronze" / "heart_rate"
    expected: list[str] = []
    lock = threading.Lock()

    def ours(offset: int) -> None:
        for commit in range(offset, offset + 30):
            rows = _payloads(commit, 5)
            bronze.append("heart_rate", rows, source="http", settings=settings)
            with lock:
                expected.extend(rows)

    def theirs() -> None:
        for commit in range(500, 530):
            rows = _payloads(commit, 5)
            now = datetime.now(UTC)
            table = pa.Table.from_pylist(
                [
                    {"payload": r, "_stream": "heart_rate", "_source": "other",
                     "_batch_id": f"b{commit}", "_ingested_at": now, "_ingest_date": now.date()}
                    for r in rows
                ],
                schema=bronze.BRONZE_SCHEMA,
            )  # fmt: skip
            write_deltalake(
                str(path), table, mode="append", partition_by=["_ingest_date"],
                commit_properties=CommitProperties(max_commit_retries=1_000),
            )  # fmt: skip
            with lock:
                expected.extend(rows)

    threads = [threading.Thread(target=ours, args=(o,)) for o in (0, 100)]
    threads.append(threading.Thread(target=theirs))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    names = sorted(p.name for p in (path / "_delta_log").glob("*.json"))
    assert names == [f"{v:020d}.json" for v in range(91)]
    assert not list((path / "_delta_log").glob("*.tmp"))
    payloads = DeltaTable(str(path)).to_pyarrow_table()["payload"].to_pylist()
    assert sorted(payloads) == sorted(expected)


def test_a_checkpoint_is_written_every_interval(settings: Settings) -> None:
    path = settings.lake / "bronze" / "sleeps"
    for commit in range(append.CHECKPOINT_INTERVAL):
        bronze.append("sleeps", _payloads(commit, 1), source="http", settings=settings)
    append._CHECKPOINTS.submit(lambda: None).result()  # wait for the background checkpoint
    last = json.loads((path / "_delta_log" / "_last_checkpoint").read_text())
    assert last["version"] == append.CHECKPOINT_INTERVAL
    assert DeltaTable(str(path)).to_pyarrow_table().num_rows == append.CHECKPOINT_INTERVAL


def test_a_replaced_table_is_appended_to_without_a_gap(settings: Settings) -> None:
    path = settings.lake / "bronze" / "workouts"
    for commit in range(3):
        bronze.append("workouts", _payloads(commit, 2), source="http", settings=settings)
    shutil.rmtree(path)
    bronze.ensure_tables(settings)
    bronze.append("workouts", _payloads(9, 2), source="http", settings=settings)
    table = DeltaTable(str(path))
    assert table.version() == 1
    assert sorted(table.to_pyarrow_table()["payload"].to_pylist()) == sorted(_payloads(9, 2))


def test_a_table_needing_newer_writer_features_is_left_to_delta_rs(tmp_path: Path) -> None:
    path = tmp_path / "cdf"
    write_deltalake(
        str(path), bronze.BRONZE_SCHEMA.empty_table(), partition_by=["_ingest_date"],
        configuration={"delta.enableChangeDataFeed": "true"},
    )  # fmt: skip
    with pytest.raises(UnsupportedTable, match="writer version"):
        DeltaAppender(path, "_ingest_date", bronze.PLAIN_COLUMNS)


def test_bronze_appends_to_such_a_table_with_delta_rs(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    path = settings.lake / "bronze" / "steps"
    write_deltalake(
        str(path), bronze.BRONZE_SCHEMA.empty_table(), partition_by=["_ingest_date"],
        configuration={"delta.enableChangeDataFeed": "true"},
    )  # fmt: skip
    bronze.ensure_tables(settings)
    bronze.append("steps", _payloads(1, 3), source="http", settings=settings)
    bronze.append("steps", _payloads(2, 3), source="http", settings=settings)
    table = DeltaTable(str(path))
    assert sorted(table.to_pyarrow_table()["payload"].to_pylist()) == sorted(
        _payloads(1, 3) + _payloads(2, 3)
    )
    assert all("delta-rs" in c.get("clientVersion", "") for c in table.history())
