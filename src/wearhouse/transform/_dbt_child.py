"""Entry point of the dbt child process that runner.run_dbt starts.

It ends with os._exit so that native threads still winding down (Arrow, DuckDB) cannot turn a
finished run into an abort at interpreter shutdown: the exit code is dbt's verdict alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult
    from dbt.contracts.graph.manifest import Manifest


def main() -> None:
    """Run dbt with the given arguments and exit with 0 on success, 1 on failure, 2 on error.

    With `--command-on-stdin` first, the rest of the arguments (if any) are a `parse` command,
    run at once; the command is then read from stdin as one JSON object: `args`, and, for an
    incremental run, `changed_streams` (the bronze streams with new records), from which the
    parsed project says which models to build (wearhouse.transform.selection). The command runs
    on the parsed manifest. A closed stdin without a command means there is nothing to run
    (exit 0).
    """
    _die_with_parent()
    from dbt.cli.main import dbtRunner

    args = sys.argv[1:]
    if args[:1] != ["--command-on-stdin"]:
        _exit_with(dbtRunner().invoke(args))
    manifest = _parse(args[1:]) if args[1:] else None
    line = sys.stdin.readline()
    if not line.strip():
        os._exit(0)
    command = json.loads(line)
    args = command["args"]
    if manifest is not None and command.get("changed_streams") is not None:
        args = _select_changed(manifest, args, command["changed_streams"])
    # Without a manifest (the parse failed), the command parses again and reports the error.
    result = dbtRunner(manifest=manifest).invoke(args)
    if result.success:
        _record_loaded_seeds(result.result)
    _exit_with(result)


def _exit_with(result: dbtRunnerResult) -> NoReturn:
    """Exit with dbt's verdict: 0 on success, 1 on failure, 2 on error."""
    sys.stdout.flush()
    sys.stderr.flush()
    if result.success:
        os._exit(0)
    os._exit(2 if result.exception is not None else 1)


def _parse(parse_args: list[str]) -> Manifest | None:
    """The project's manifest, or None when it does not parse."""
    from dbt.cli.main import dbtRunner
    from dbt.contracts.graph.manifest import Manifest

    parsed = dbtRunner().invoke(parse_args)
    return parsed.result if parsed.success and isinstance(parsed.result, Manifest) else None


def _select_changed(manifest: Manifest, args: list[str], changed_streams: list[str]) -> list[str]:
    """`args` narrowed to what the changed streams reach (all of it when they reach everything)."""
    from wearhouse.transform.selection import nodes_to_build

    selected = nodes_to_build(manifest.nodes, changed_streams, _loaded_seeds())
    return args + (["--select", *selected] if selected is not None else [])


def _seeds_file() -> Path:
    return Path(os.environ.get("WEARHOUSE_DBT_TARGET", "target")) / "loaded_seeds.json"


def _loaded_seeds() -> dict[str, str]:
    """Seed unique id -> checksum of the file last loaded into the warehouse."""
    try:
        return json.loads(_seeds_file().read_text())
    except (OSError, ValueError):
        return {}


def _record_loaded_seeds(results: object) -> None:
    """Remember the files of the seeds this successful run loaded. The record only spares
    reloading them: when it cannot be written, the next run loads them again."""
    loaded = {
        item.node.unique_id: item.node.checksum.checksum
        for item in getattr(results, "results", [])
        if item.node.resource_type == "seed" and str(item.status) == "success"
    }
    if loaded:
        with contextlib.suppress(OSError):
            _seeds_file().write_text(json.dumps(_loaded_seeds() | loaded, indent=1) + "\n")


def _die_with_parent() -> None:
    # A transform killed outright must not leave dbt writing to the warehouse behind its back:
    # the next run would find the database locked or half-updated under its feet.
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


if __name__ == "__main__":
    main()
