"""Where importers send records: the shared BronzeWriter, plus skip notes and progress counting."""

from __future__ import annotations

from types import TracebackType

import orjson

from wearhouse.ingest.writer import BronzeWriter
from wearhouse.lake import bronze
from wearhouse.settings import Settings
from wearhouse.sources.report import ImportReport, Skipped, Tracker

# Progress is pushed in steps: a Rich refresh per record would cost more than the record.
_PROGRESS_STEP = 2_000


class Sink:
    """Serialises mapped records and commits them through BronzeWriter (contracts, batches, rejects).

    Use as a context manager: what is buffered is committed on exit, even after an error.
    """

    def __init__(self, source: str, settings: Settings, tracker: Tracker | None = None) -> None:
        bronze.ensure_tables(settings)
        self.report = ImportReport()
        self.tracker = tracker or Tracker()
        self._writer = BronzeWriter(source, settings, self.report.ingest)
        self._unreported = 0

    def emit(self, stream: str, record: object, *, file: str, position: str) -> None:
        """Send one record of a stream to bronze; a record its contract refuses is kept aside.

        `record` is normally a dict; anything else (an export's item that is not an object) is
        sent as it is, so the contract refuses it with its reason and bronze keeps it.
        """
        self._writer.add(stream, orjson.dumps(record), file=file, position=position)
        self._unreported += 1
        if self._unreported >= _PROGRESS_STEP:
            self.report_progress()

    def skip(self, file: str, position: str, reason: str) -> None:
        """Note a record no stream can hold, with what the reader should know or do about it."""
        self.report.skipped.append(Skipped(file, position, reason))

    def not_imported(self, what: str, count: int = 1) -> None:
        """Count data of a kind that has no Wearhouse stream (described by `what`)."""
        self.report.not_imported[what] += count

    def note(self, text: str) -> None:
        """A remark for the summary (a fallback taken, a file missing)."""
        self.report.notes.append(text)

    def file_done(self) -> None:
        """One input file is fully read."""
        self.report.files += 1
        self.report_progress()
        self.tracker.advance(files=1)

    def report_progress(self) -> None:
        """Push the records counted since the last push to the tracker."""
        if self._unreported:
            self.tracker.advance(records=self._unreported)
            self._unreported = 0

    def __enter__(self) -> Sink:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.report_progress()
        self._writer.flush()
