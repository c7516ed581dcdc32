"""What a bronze table gained between two Delta versions, read from the table's log.

Bronze only appends records, but its files do not only grow: background compaction
(wearhouse.lake.compaction) rewrites many small files into one, which holds records of old and
new commits alike. Comparing two versions' file lists would take such a file for new data, so the
change is read from the commits themselves instead: every `add` action with `dataChange: true`.
A file compacted away after its commit is still read from its own path, which stays on disk until
a vacuum deletes it; a commit whose log entry or file is gone can no longer be replayed, and the
caller must rebuild from the whole table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse


class ChangesLost(LookupError):
    """A commit after the given version can no longer be read (log cleaned up or files vacuumed)."""


@dataclass(frozen=True)
class AddedFile:
    """One data file a commit added, with its record count from the commit's statistics."""

    uri: str
    records: int


def added_since(table_path: Path, version: int, until: int) -> list[AddedFile]:
    """Files of the records committed in versions `version`+1 .. `until`, in commit order."""
    log = table_path / "_delta_log"
    added: list[AddedFile] = []
    for commit in range(version + 1, until + 1):
        entry = log / f"{commit:020d}.json"
        try:
            lines = entry.read_text().splitlines()
        except FileNotFoundError:
            raise ChangesLost(
                f"{table_path}: the log entry of version {commit} is gone (cleaned up)"
            ) from None
        for line in lines:
            action = json.loads(line)
            add = action.get("add")
            if add is None or not add.get("dataChange", True):
                continue
            uri = _absolute(table_path, add["path"])
            if not Path(uri).exists():
                raise ChangesLost(f"{table_path}: {uri} of version {commit} was vacuumed")
            stats = json.loads(add.get("stats") or "{}")
            added.append(AddedFile(uri, int(stats.get("numRecords", 0))))
    return added


def _absolute(table_path: Path, path: str) -> str:
    parsed = urlparse(path)
    if parsed.scheme == "file":
        return unquote(parsed.path)
    if parsed.scheme:  # an object-store URI: not a local file this module can check
        raise ChangesLost(f"{table_path}: {path} is not a local file")
    return str(table_path / unquote(path))
