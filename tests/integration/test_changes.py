"""Reading what bronze gained since a version, with compaction rewriting its files in between."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from deltalake import DeltaTable

from wearhouse.lake import bronze
from wearhouse.lake.changes import ChangesLost, added_since
from wearhouse.settings import Settings

pytestmark = pytest.mark.integration


def _append(settings: Settings, commit: int) -> list[str]:
    rows = [
        json.dumps({"device_id": f"d{commit}", "ts": f"2026-11-01T00:00:{i:02d}Z", "steps": i})
        for i in range(10)
    ]
    bronze.append("steps", rows, source="http", settings=settings)
    return rows


def _payloads(files: list[str]) -> list[str]:
    if not files:
        return []
    return [r[0] for r in duckdb.sql(f"select payload from read_parquet({files!r})").fetchall()]


def test_changes_since_a_version_survive_compaction(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    bronze.ensure_tables(settings)
    path = settings.lake / "bronze" / "steps"
    for commit in range(5):
        _append(settings, commit)
    seen = DeltaTable(str(path)).version()
    new_rows = [row for commit in range(5, 9) for row in _append(settings, commit)]
    DeltaTable(str(path)).optimize.compact()  # old and new rows now share one file
    new_rows += _append(settings, 9)
    table = DeltaTable(str(path))
    assert len(table.file_uris()) == 2  # the compacted file and the last commit's

    added = added_since(path, seen, table.version())

    assert sorted(_payloads([f.uri for f in added])) == sorted(new_rows)
    assert sum(f.records for f in added) == len(new_rows) == 50
    # A version-to-version file comparison would have taken the compacted file, old rows and all.
    old_files = set(DeltaTable(str(path), version=seen).file_uris())
    naive = [f for f in table.file_uris() if f not in old_files]
    assert len(_payloads(naive)) == 100


def test_a_vacuumed_file_cannot_be_replayed(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    bronze.ensure_tables(settings)
    path = settings.lake / "bronze" / "steps"
    seen = DeltaTable(str(path)).version()
    _append(settings, 0)
    _append(settings, 1)
    table = DeltaTable(str(path))
    table.optimize.compact()
    table = DeltaTable(str(path))
    table.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    with pytest.raises(ChangesLost, match="vacuumed"):
        added_since(path, seen, table.version())
