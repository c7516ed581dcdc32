"""Entry point of the dbt child process that runner.run_dbt starts.

It ends with os._exit so that native threads still winding down (Arrow, DuckDB) cannot turn a
finished run into an abort at interpreter shutdown: the exit code is dbt's verdict alone.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    """Run dbt with the given arguments and exit with 0 on success, 1 on failure, 2 on error.

    With `--command-on-stdin` as the only argument, dbt is imported first and the command is
    then read from stdin as one JSON object: `args`, and, for an incremental run, `parse_args`
    and `changed_streams` (the bronze streams with new records), from which the project, once
    parsed, says which models to build (wearhouse.transform.selection). A closed stdin without
    a command means there is nothing to run (exit 0).
    """
    _die_with_parent()
    from dbt.cli.main import dbtRunner

    runner, args = dbtRunner(), sys.argv[1:]
    if args == ["--command-on-stdin"]:
        line = sys.stdin.readline()
        if not line.strip():
            os._exit(0)
        command = json.loads(line)
        args = command["args"]
        if command.get("changed_streams") is not None:
            runner, args = _select_changed(command)
    result = runner.invoke(args)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if result.success else (2 if result.exception is not None else 1))


def _select_changed(command: dict) -> tuple[object, list[str]]:
    """Parse the project once, then build only what the changed streams reach, on that manifest."""
    from dbt.cli.main import dbtRunner

    from wearhouse.transform.selection import nodes_to_build

    parsed = dbtRunner().invoke(command["parse_args"])
    if not parsed.success:
        return dbtRunner(), command["args"]  # the build parses again and reports the error
    manifest = parsed.result
    selected = nodes_to_build(manifest.nodes, command["changed_streams"])
    args = command["args"] + (["--select", *selected] if selected is not None else [])
    return dbtRunner(manifest=manifest), args


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
