"""What the transform has processed so far, and the lock that keeps transforms one at a time.

The watermark is, per bronze table, the Delta version whose rows silver and gold already
reflect. It advances only after dbt and the publish both succeeded, so a run that dies
half-way is simply done again by the next one.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from wearhouse.errors import TerminalError
from wearhouse.settings import Settings


@dataclass
class TransformState:
    """Bronze versions already processed; `full_refresh_pending` while a full rebuild is unfinished."""

    bronze_versions: dict[str, int] = field(default_factory=dict)
    full_refresh_pending: bool = False


def state_path(settings: Settings) -> Path:
    """Where the watermark is kept: WEARHOUSE_HOME/state/transform.json."""
    return settings.home.resolve() / "state" / "transform.json"


def load(settings: Settings) -> TransformState | None:
    """The saved state, or None before the first complete run."""
    path = state_path(settings)
    if not path.exists():
        return None
    raw = json.loads(path.read_text())
    return TransformState(
        bronze_versions={k: int(v) for k, v in raw.get("bronze_versions", {}).items()},
        full_refresh_pending=bool(raw.get("full_refresh_pending", False)),
    )


def save(settings: Settings, state: TransformState) -> None:
    """Write the state atomically (a crash leaves the old file or the new one, never half)."""
    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2, sort_keys=True))
    os.replace(tmp, path)


@contextmanager
def transform_lock(settings: Settings) -> Iterator[None]:
    """Hold WEARHOUSE_HOME/state/transform.lock for the run; fail at once if another run holds it.

    The lock is released by the kernel when the holder dies, so a killed run never blocks the next.
    """
    path = settings.home.resolve() / "state" / "transform.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise TerminalError(
                f"another transform is running on {settings.home.resolve()} ({holder}): "
                "wait for it to finish, then run `wearhouse transform` again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
