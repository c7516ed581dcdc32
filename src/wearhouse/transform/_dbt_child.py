"""Entry point of the dbt child process that runner.run_dbt starts.

It ends with os._exit: Arrow dataset scanner threads (the Delta source plugin reads bronze through
them) can abort an orderly interpreter shutdown after all work is done, turning a good run into
exit code 134.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run dbt with the given arguments and exit with 0 on success, 1 on failure, 2 on error."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if result.success else (2 if result.exception is not None else 1))


if __name__ == "__main__":
    main()
