"""`wearhouse ingest PATH`: JSON, JSON-array and NDJSON files into bronze, bad records kept aside."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson

from wearhouse.contracts import STREAMS
from wearhouse.ingest.records import Checked, check
from wearhouse.lake import bronze
from wearhouse.settings import Settings, get_settings

SUFFIXES = (".json", ".jsonl", ".ndjson")
# A commit is cut at this much payload so memory stays bounded on multi-GB files.
MAX_BATCH_BYTES = 128 * 1024 * 1024
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record refused at the edge, named by file and position."""

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


def stream_of(path: Path) -> str | None:
    """The stream a file belongs to by its name: `<stream>*.json|jsonl|ndjson[.gz]`."""
    name = path.name.removesuffix(".gz")
    if not name.endswith(SUFFIXES):
        return None
    # Longest name first so that a future `steps_daily` is not taken for `steps`.
    for stream in sorted(STREAMS, key=len, reverse=True):
        if re.match(rf"{stream}(?![a-z])", name):
            return stream
    return None


def discover(path: Path, stream: str | None) -> list[tuple[Path, str]]:
    """The files under path with the stream each feeds; errors name the file and the fix."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if stream is not None and stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}: use one of {', '.join(STREAMS)}")
    candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    found = []
    for file in candidates:
        name = stream or stream_of(file)
        if name is None:
            if path.is_file():
                raise ValueError(
                    f"{file}: cannot tell the stream from the file name; name it "
                    f"<stream>.jsonl (streams: {', '.join(STREAMS)}) or pass --stream"
                )
            continue
        found.append((file, name))
    return found


def ingest_path(
    path: Path,
    stream: str | None = None,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest a file or a directory of stream files; valid records are committed, bad ones kept aside."""
    settings = settings or get_settings()
    bronze.ensure_tables(settings)
    report = IngestReport()
    for file, name in discover(path, stream):
        ingest_file(file, name, report, settings=settings, progress=progress)
    return report


def ingest_file(
    file: Path,
    stream: str,
    report: IngestReport,
    *,
    settings: Settings,
    progress: Progress | None = None,
) -> None:
    """Ingest one file into lake/bronze/<stream>, committing in bounded batches."""
    source = f"file:{file.name}"
    batch = _Batch(stream, source, settings, report)
    with _open(file) as handle:
        for position, raw in _records(handle, progress):
            try:
                batch.add(check(stream, raw))
            except ValueError as exc:
                text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
                report.rejected.append(Rejection(str(file), position, stream, str(exc)))
                batch.reject(text, f"{file.name} {position}: {exc}")
    batch.flush()
    report.files += 1


class _Batch:
    def __init__(self, stream: str, source: str, settings: Settings, report: IngestReport) -> None:
        self.stream, self.source, self.settings, self.report = stream, source, settings, report
        self.payloads: list[str] = []
        self.rejected: list[tuple[str, str]] = []
        self.readings = 0
        self.size = 0

    def add(self, record: Checked) -> None:
        self.payloads.append(record.payload)
        self.readings += record.readings
        self.size += len(record.payload)
        limit = self.settings.ingest.batch_records
        if len(self.payloads) >= limit or self.size >= MAX_BATCH_BYTES:
            self.flush()

    def reject(self, payload: str, reason: str) -> None:
        self.rejected.append((payload, reason))

    def flush(self) -> None:
        if not self.payloads and not self.rejected:
            return
        batch_id = bronze.append(
            self.stream, self.payloads, source=self.source, settings=self.settings
        )
        bronze.append_rejected(
            self.stream,
            self.rejected,
            source=self.source,
            batch_id=batch_id,
            settings=self.settings,
        )
        self.report.records[self.stream] += len(self.payloads)
        self.report.readings[self.stream] += self.readings
        self.report.batches += 1
        self.payloads, self.rejected, self.readings, self.size = [], [], 0, 0


def _open(file: Path) -> IO[bytes]:
    return gzip.open(file, "rb") if file.name.endswith(".gz") else file.open("rb")


def _records(handle: IO[bytes], progress: Progress | None) -> Iterator[tuple[str, bytes | str]]:
    """(position, raw JSON text) for each record: a JSON array's items, else one record per line."""
    head = handle.read(1)
    while head.isspace():
        head = handle.read(1)
    if head == b"[":
        yield from _array_items(head + handle.read(), progress)
        return
    first = head + handle.readline()
    for number, line in enumerate([first] if head else [], start=1):
        yield from _line(number, line, progress)
    for number, line in enumerate(handle, start=2):
        yield from _line(number, line, progress)


def _line(number: int, line: bytes, progress: Progress | None) -> Iterator[tuple[str, bytes]]:
    if progress:
        progress(len(line))
    line = line.strip()
    if line:
        yield f"line {number}", line


def _array_items(data: bytes, progress: Progress | None) -> Iterator[tuple[str, bytes | str]]:
    if progress:
        progress(len(data))
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError:
        # The whole array is unreadable: keep it as one rejected record, check() names the error.
        yield "whole file", data
        return
    for index, item in enumerate(items):
        # Serialised back compactly: the same record, key order and values kept.
        yield f"item {index}", orjson.dumps(item)
