"""`wearhouse import apple-health`: an Apple Health export (export.xml, its zip, or its folder).

The XML is streamed (see xml.py): memory stays flat whatever the export's size. Only sleep
intervals are held until the end, since a night is only known once all its intervals are read
(a few per night). The mappings are described in records.py.
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from wearhouse.settings import Settings, get_settings
from wearhouse.sources.apple_health import records
from wearhouse.sources.apple_health.xml import AppleXmlError, iter_elements
from wearhouse.sources.report import ImportReport, Tracker
from wearhouse.sources.sink import Sink

HEART_RATE = "HKQuantityTypeIdentifierHeartRate"
STEP_COUNT = "HKQuantityTypeIdentifierStepCount"
SLEEP_ANALYSIS = "HKCategoryTypeIdentifierSleepAnalysis"
UNITS = {HEART_RATE: "count/min", STEP_COUNT: "count"}


@dataclass
class _State:
    """What one export's import carries from record to record."""

    sink: Sink
    user_id: str
    file: str
    exported_at: str | None = None
    sources: dict[str, records.Source] = field(default_factory=dict)
    sleeps: dict[str, list[records.SleepInterval]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def device(self, attributes: dict[str, str], line: int) -> str:
        """The device id of a record's source, registering the device the first time it is seen."""
        name = attributes.get("sourceName", "")
        found = self.sources.get(name)
        if found is None:
            found = self.sources[name] = records.source(self.user_id, attributes)
            device = {
                "device_id": found.device_id,
                "user_id": self.user_id,
                "model": found.model,
                "kind": found.kind,
                "source_name": name,
            }
            self.sink.emit("devices", device, file=self.file, position=f"line {line}")
        return found.device_id


@dataclass(frozen=True)
class ExportFile:
    """Where the export.xml is: a file, or a member of a zip."""

    path: Path
    member: str | None = None

    @property
    def label(self) -> str:
        """How reports name the file."""
        return f"{self.path.name}:{self.member}" if self.member else self.path.name

    def size(self) -> int:
        """Bytes of XML to read (uncompressed for a zip member)."""
        if self.member is None:
            return self.path.stat().st_size
        with zipfile.ZipFile(self.path) as archive:
            return archive.getinfo(self.member).file_size

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The XML as a binary stream (a zip member is decompressed as it is read)."""
        if self.member is None:
            with self.path.open("rb") as handle:
                yield handle
            return
        with zipfile.ZipFile(self.path) as archive, archive.open(self.member) as handle:
            yield handle


def locate(path: Path) -> ExportFile:
    """The export.xml of an export: the file itself, inside a zip, or inside a folder."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.is_dir():
        found = sorted(path.rglob("export.xml"), key=lambda p: len(p.parts))
        if not found:
            raise ValueError(
                f"{path}: no export.xml inside; pass the Health app's export.zip or its export.xml"
            )
        return ExportFile(found[0])
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "export.xml"]
        if not members:
            raise ValueError(
                f"{path}: this zip holds no export.xml; is it the Health app's export?"
            )
        return ExportFile(path, min(members, key=len))
    return ExportFile(path)


def import_apple_health(
    path: Path,
    user_id: str,
    *,
    settings: Settings | None = None,
    tracker: Tracker | None = None,
) -> ImportReport:
    """Import one person's Apple Health export: heart rate, steps, sleep, workouts and profile."""
    settings = settings or get_settings()
    export = locate(path)
    with Sink(f"file:{path.name}", settings, tracker) as sink:
        state = _State(sink, user_id, export.label)
        sink.tracker.begin(1, export.size())
        sink.tracker.file(export.label)
        with export.open() as handle:
            on_read = lambda n: sink.tracker.advance(read_bytes=n)  # noqa: E731
            try:
                for line, tag, attributes in iter_elements(handle, on_read):
                    _element(state, line, tag, attributes)
            except AppleXmlError as exc:
                sink.skip(
                    export.label,
                    f"line {exc.line}",
                    f"{exc} at column {exc.column}; what came before it was imported: export "
                    "again from the Health app (a cut-off zip gives this)",
                )
        _emit_sleeps(state)
        sink.file_done()
    return sink.report


def _element(state: _State, line: int, tag: str, attributes: dict[str, str]) -> None:
    if tag == "Record":
        _record(state, line, attributes)
    elif tag == "Workout":
        _workout(state, line, attributes)
    elif tag == "ExportDate":
        state.exported_at = records.apple_ts(attributes.get("value"))
    elif tag == "Me":
        _profile(state, line, attributes)
    else:
        state.sink.not_imported(f"Apple Health <{tag}> elements (no Wearhouse stream for them)")


def _record(state: _State, line: int, attributes: dict[str, str]) -> None:
    kind = attributes.get("type", "")
    sink, position = state.sink, f"line {line}"
    if kind not in (HEART_RATE, STEP_COUNT, SLEEP_ANALYSIS):
        sink.not_imported(f"Apple Health {kind} records (no Wearhouse stream for them)")
        return
    unit = attributes.get("unit")
    if kind in UNITS and unit != UNITS[kind]:
        sink.skip(state.file, position, f"{kind} in {unit!r}: only {UNITS[kind]!r} is understood")
        return
    device_id = state.device(attributes, line)
    if kind == HEART_RATE:
        sink.emit(
            "heart_rate",
            records.heart_rate(device_id, attributes),
            file=state.file,
            position=position,
        )
    elif kind == STEP_COUNT:
        bucket, problem = records.steps(device_id, attributes)
        if bucket is None:
            sink.skip(state.file, position, f"{problem}: it cannot be placed in minutes")
        else:
            sink.emit("steps", bucket, file=state.file, position=position)
    else:
        interval = records.sleep_interval(device_id, attributes, line)
        if isinstance(interval, dict):
            sink.emit("sleeps", interval, file=state.file, position=position)
        else:
            state.sleeps[device_id].append(interval)


def _workout(state: _State, line: int, attributes: dict[str, str]) -> None:
    events, problem = records.workout(state.user_id, attributes)
    for event in events:
        state.sink.emit("workouts", event, file=state.file, position=f"line {line}")
    if problem:
        state.sink.skip(state.file, f"line {line}", f"workout stop not written: {problem}")


def _profile(state: _State, line: int, attributes: dict[str, str]) -> None:
    if state.exported_at is None:
        state.sink.skip(
            state.file,
            f"line {line}",
            "<Me> comes without a readable <ExportDate> before it: the profile has no date to be valid from",
        )
        return
    record: dict[str, Any] = records.profile(state.user_id, attributes, state.exported_at)
    state.sink.emit("users", record, file=state.file, position=f"line {line}")


def _emit_sleeps(state: _State) -> None:
    for intervals in state.sleeps.values():
        for session in records.sleep_sessions(intervals):
            position = f"line {min(i.line for i in session)}"
            state.sink.emit(
                "sleeps", records.sleep_record(session), file=state.file, position=position
            )
