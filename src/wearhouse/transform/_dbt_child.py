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

    With `--command-on-stdin` as the only argument, dbt is imported first and the arguments are
    then read from stdin as one JSON list; a closed stdin without one means there is nothing to
    run (exit 0).
    """
    _die_with_parent()
    from dbt.cli.main import dbtRunner

    args = sys.argv[1:]
    if args == ["--command-on-stdin"]:
        line = sys.stdin.readline()
        if not line.strip():
            os._exit(0)
        args = json.loads(line)
    result = dbtRunner().invoke(args)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if result.success else (2 if result.exception is not None else 1))


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
