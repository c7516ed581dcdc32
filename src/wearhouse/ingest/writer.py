"""The bronze writer every ingestion path shares: check each record, batch, commit, keep rejects."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType

from wearhouse.ingest.records import check
from wearhouse.lake import bronze
from wearhouse.settings import Settings

# A commit is cut at this much payload so memory stays bounded on multi-GB inputs.
MAX_BATCH_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record refused at the edge, named by file (or request) and position."""

    file: str
    position: str
    stream: str
    reason: str


@dataclass
class IngestReport:
    """What one ingestion did, per stream."""

    records: Counter[str] = field(default_factory=Counter)
    readings: Counter[str] = field(default_factory=Counter)
    rejected: list[Rejection] = field(default_factory=list)
    files: int = 0
    batches: int = 0


@dataclass
class _Pending:
    payloads: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    readings: int = 0
    size: int = 0


class BronzeWriter:
    """Checks records against their stream contract and commits them to bronze in bounded batches.

    Use as a context manager (or call flush()): what is still buffered is committed on exit.
    """

    def __init__(self, source: str, settings: Settings, report: IngestReport | None = None) -> None:
        self.source = source
        self.settings = settings
        self.report = report if report is not None else IngestReport()
        self._pending: dict[str, _Pending] = {}

    def add(self, stream: str, raw: bytes | str, *, file: str, position: str) -> bool:
        """Check one record's JSON text; buffer it if valid, else keep it aside with the reason."""
        pending = self._pending.setdefault(stream, _Pending())
        try:
            record = check(stream, raw)
        except ValueError as exc:
            text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
            self.report.rejected.append(Rejection(file, position, stream, str(exc)))
            name = file.rsplit("/", 1)[-1]
            pending.rejected.append((text, f"{name} {position}: {exc}"))
            return False
        pending.payloads.append(record.payload)
        pending.readings += record.readings
        pending.size += len(record.payload)
        if (
            len(pending.payloads) >= self.settings.ingest.batch_records
            or pending.size >= MAX_BATCH_BYTES
        ):
            self._commit(stream)
        return True

    def flush(self) -> None:
        """Commit everything buffered, one Delta commit per stream."""
        for stream in list(self._pending):
            self._commit(stream)

    def _commit(self, stream: str) -> None:
        pending = self._pending.pop(stream, None)
        if pending is None or not (pending.payloads or pending.rejected):
            return
        batch_id = bronze.append(
            stream, pending.payloads, source=self.source, settings=self.settings
        )
        bronze.append_rejected(
            stream, pending.rejected, source=self.source, batch_id=batch_id, settings=self.settings
        )
        self.report.records[stream] += len(pending.payloads)
        self.report.readings[stream] += pending.readings
        self.report.batches += 1

    def __enter__(self) -> BronzeWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # What was accepted before a failure is still committed: nothing accepted is lost.
        self.flush()
