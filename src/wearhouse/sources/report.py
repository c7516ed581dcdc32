"""What an import did: records per stream, what was skipped and why, and progress callbacks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from wearhouse.ingest.writer import IngestReport


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record of a kind Wearhouse imports that no stream can hold, named by file and position."""

    file: str
    position: str
    reason: str


@dataclass
class ImportReport:
    """One import: what reached bronze (and what the contracts refused), skipped records, notes."""

    ingest: IngestReport = field(default_factory=IngestReport)
    skipped: list[Skipped] = field(default_factory=list)
    # Kinds of data that have no Wearhouse stream (a daily resting rate, distance, calories...),
    # counted by a description that says what and why; they are not errors.
    not_imported: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def records(self) -> Counter[str]:
        """Records committed to bronze, per stream."""
        return self.ingest.records


class Tracker:
    """Receives an import's progress; this one ignores it, the CLI draws it with Rich."""

    def begin(self, files: int, total_bytes: int) -> None:
        """The import will read this many files holding this many bytes."""

    def file(self, name: str) -> None:
        """A file starts being read."""

    def advance(self, *, records: int = 0, read_bytes: int = 0, files: int = 0) -> None:
        """Records sent to bronze, bytes read and files finished since the last call."""
