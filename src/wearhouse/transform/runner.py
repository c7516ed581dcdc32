"""Run the dbt project against the configured back end, reporting progress node by node."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wearhouse.contracts import STREAMS
from wearhouse.errors import TerminalError
from wearhouse.lake.changes import AddedFile, ChangesLost, added_since
from wearhouse.settings import Settings

PROJECT_DIR = Path(__file__).parent
NodeCallback = Callable[[str, str], None]
"""Called with (event, node name): event is "start", the node's final status, or "total"
(then the second argument is how many nodes the run has)."""


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The environment dbt's profiles.yml reads: the one place settings become a back end."""
    home = settings.home.resolve()
    return {
        "WEARHOUSE_HOME": str(home),
        "WEARHOUSE_TARGET": "duckdb",
        "WEARHOUSE_WAREHOUSE_PATH": str(settings.warehouse_path),
        "WEARHOUSE_ENGINE__THREADS": str(settings.engine.threads),
        "WEARHOUSE_ENGINE__DBT_THREADS": str(settings.engine.dbt_threads),
        "WEARHOUSE_ENGINE__MEMORY_LIMIT": settings.engine.memory_limit,
        "WEARHOUSE_DBT_TARGET": str(home / "dbt" / "target"),
        "DBT_LOG_PATH": str(home / "dbt" / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


@dataclass
class BronzeSnapshot:
    """The bronze versions a run reads, and how many records each table gained since `since`."""

    versions: dict[str, int] = field(default_factory=dict)
    new_records: dict[str, int] = field(default_factory=dict)
    since: dict[str, int] | None = None


class WatermarkLost(Exception):
    """A processed bronze version can no longer be read (its log was cleaned up)."""


@dataclass(frozen=True)
class RunParameters:
    """What the models read from `wearhouse.run_parameters` (the dbt source `run.parameters`)."""

    rebuild_start: datetime.date | None = None
    rebuild_end: datetime.date | None = None
    tests_since: datetime.datetime | None = None  # None: data tests check whole tables


def register_bronze(
    settings: Settings,
    since: dict[str, int] | None = None,
    parameters: RunParameters | None = None,
) -> BronzeSnapshot:
    """Point the warehouse's bronze views at the current files of each bronze Delta table.

    `bronze.<stream>` reads the whole table; `bronze.<stream>__new` only the files added after
    version `since[stream]` (every file when `since` is None), which is what an incremental run
    processes. DuckDB then reads bronze natively and in parallel; run before every dbt invocation
    so that records committed since the last run are seen.
    """
    import duckdb
    from deltalake import DeltaTable

    from wearhouse.lake import bronze, read
    from wearhouse.lake.paths import REJECTS, table_path

    bronze.ensure_tables(settings)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    snapshot = BronzeSnapshot(since=since)
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        _write_parameters(con, parameters or RunParameters())
        con.execute("create schema if not exists bronze")
        for name in [*STREAMS, REJECTS]:
            path = str(table_path("bronze", name, settings))
            table = DeltaTable(path)
            files = table.file_uris()
            seen = None if since is None else since.get(name)
            if seen is None:
                new, new_records = files, _row_count(table, files)
            else:
                added = _added_since(path, seen, table.version())
                new, new_records = [f.uri for f in added], sum(f.records for f in added)
            read.register(con, f"bronze.{name}", table, files)
            read.register(con, f"bronze.{name}__new", table, new)
            snapshot.versions[name] = table.version()
            snapshot.new_records[name] = new_records
    finally:
        con.close()
    return snapshot


def write_run_parameters(settings: Settings, parameters: RunParameters) -> None:
    """Store the run's parameters in the warehouse, where the models read them."""
    import duckdb

    con = duckdb.connect(str(settings.warehouse_path))
    try:
        _write_parameters(con, parameters)
    finally:
        con.close()


def _write_parameters(con: Any, parameters: RunParameters) -> None:
    con.execute("create schema if not exists wearhouse")
    con.execute(
        "create or replace table wearhouse.run_parameters as select "
        "?::date as rebuild_start, ?::date as rebuild_end, ?::timestamptz as tests_since",
        [parameters.rebuild_start, parameters.rebuild_end, parameters.tests_since],
    )


def _added_since(path: str, version: int, current: int) -> list[AddedFile]:
    """The files of the records committed after `version`, from the Delta log (compaction's
    rewrites of older records are not new data; see wearhouse.lake.changes)."""
    if version > current:
        raise WatermarkLost(f"{path} is at version {current}, before the processed {version}")
    try:
        return added_since(Path(path), version, current)
    except ChangesLost as exc:
        raise WatermarkLost(str(exc)) from exc


def _row_count(table: object, files: list[str]) -> int:
    # Row counts from the Delta log's statistics: no data file is opened.
    from deltalake import DeltaTable

    assert isinstance(table, DeltaTable)
    if not files:
        return 0
    wanted = {f.rsplit("/", 1)[-1] for f in files}
    import pyarrow as pa

    actions = pa.table(table.get_add_actions(flatten=True)).to_pydict()
    return sum(
        int(n or 0)
        for p, n in zip(actions["path"], actions["num_records"], strict=True)
        if p.rsplit("/", 1)[-1] in wanted
    )


@dataclass
class DbtOutcome:
    """What one dbt invocation did: node statuses and the failures, with their messages."""

    statuses: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


class DbtChild:
    """A dbt child process started before its command is known.

    Importing dbt and parsing the project take a child about 3 s; started first, it does both
    while the caller points the bronze views and works out what the run must do, then gets its
    command on stdin. A child that is never given a command (`cancel`) exits without touching
    the warehouse.
    """

    LOGGING = ("--log-format", "json", "--log-level", "info")
    DIRS = ("--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR))

    def __init__(self, settings: Settings) -> None:
        self.env = {**os.environ, **dbt_environment(settings)}
        # The child parses the project while it waits: parsing needs no command and no database.
        parse = [*self.LOGGING, "parse", *self.DIRS]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wearhouse.transform._dbt_child", "--command-on-stdin", *parse],
            env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip

    def run(
        self,
        command: list[str],
        on_node: NodeCallback | None = None,
        changed_streams: list[str] | None = None,
    ) -> DbtOutcome:
        """Run dbt with `command` (e.g. ["build", "--full-refresh"]); raises TerminalError on failure.

        With `changed_streams` (an incremental run's bronze streams with new records), only the
        models those streams reach are built (wearhouse.transform.selection).
        """
        message = {
            "args": [*self.LOGGING, *command, *self.DIRS],
            "changed_streams": changed_streams,
        }
        child = self.process
        assert child.stdin is not None and child.stdout is not None and child.stderr is not None
        outcome = DbtOutcome()
        errors: list[str] = []
        with child:
            try:
                child.stdin.write(json.dumps(message) + "\n")
                child.stdin.close()
            except BrokenPipeError:  # the child died before its command: its stderr says why
                pass
            for line in child.stdout:
                _handle(line, outcome, errors, on_node)
            stderr = child.stderr.read()
        outcome.failures = _failures(Path(self.env["WEARHOUSE_DBT_TARGET"]) / "run_results.json")
        if child.returncode != 0:
            detail = "\n  ".join(outcome.failures or errors or [stderr.strip()[-2000:]])
            raise TerminalError(
                f"dbt {command[0]} failed:\n  {detail or f'exit code {child.returncode}'}"
            )
        return outcome

    def cancel(self) -> None:
        """Let a child that got no command go: it exits on the closed stdin."""
        if self.process.returncode is None and self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
            self.process.wait()


def run_dbt(
    command: list[str],
    settings: Settings,
    on_node: NodeCallback | None = None,
    *,
    register: bool = True,
    child: DbtChild | None = None,
    changed_streams: list[str] | None = None,
) -> DbtOutcome:
    """Run dbt (e.g. ["build", "--full-refresh"]) in a child process; raises TerminalError on failure.

    A child process keeps dbt's engine connections and memory out of this process, and can be
    interrupted without leaving it in a half state. `register=False` when the caller has just
    pointed the bronze views itself (register_bronze with a watermark); `child` is one started
    earlier with `DbtChild`, a new one otherwise; `changed_streams` as for `DbtChild.run`.
    """
    if register:
        register_bronze(settings)
    return (child or DbtChild(settings)).run(command, on_node, changed_streams)


def _failures(run_results: Path) -> list[str]:
    """Each failed node of the last run with dbt's message, read from run_results.json."""
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text()).get("results", [])
    return [
        f"{item['unique_id']}: {(item.get('message') or item['status']).strip()}"
        for item in results
        if item.get("status") in ("error", "fail", "runtime error")
    ]


def _handle(
    line: str, outcome: DbtOutcome, errors: list[str], on_node: NodeCallback | None
) -> None:
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return
    info, data = event.get("info", {}), event.get("data", {})
    name = info.get("name")
    node = data.get("node_info", {})
    if name == "FoundStats" and on_node:
        # "Found 31 models, 1 seed, 60 data tests, ...": what `build` will run, for a progress total.
        counts = re.findall(
            r"(\d+) (models?|seeds?|data tests?|unit tests?|snapshots?)", info.get("msg", "")
        )
        on_node("total", str(sum(int(n) for n, _ in counts)))
    elif name == "LogStartLine" and on_node:
        on_node("start", node.get("node_name", "?"))
    elif name and name.startswith("Log") and name.endswith("Result"):
        status = str(data.get("status", "?"))
        outcome.statuses[node.get("node_name") or data.get("name", "?")] = status
        if on_node:
            on_node(status, node.get("node_name", "?"))
    elif info.get("level") == "error" and info.get("msg"):
        errors.append(info["msg"].strip())
