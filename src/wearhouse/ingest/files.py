"""`wearhouse ingest PATH`: JSON, JSON-array and NDJSON files into bronze, bad records kept aside."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import orjson

from wearhouse.contracts import STREAMS
from wearhouse.ingest.writer import BronzeWriter, IngestReport, Rejection
from wearhouse.lake import bronze
from wearhouse.settings import Settings, get_settings

__all__ = ["IngestReport", "Rejection", "discover", "ingest_file", "ingest_path", "stream_of"]

SUFFIXES = (".json", ".jsonl", ".ndjson")
Progress = Callable[[int], None]


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
    with BronzeWriter(f"file:{file.name}", settings, report) as writer, _open(file) as handle:
        for position, raw in _records(handle, progress):
            writer.add(stream, raw, file=str(file), position=position)
    report.files += 1


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
