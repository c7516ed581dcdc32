"""`wearhouse import fitbit|pmdata|apple-health PATH`: real exports into bronze, with a summary."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from wearhouse.cli.output import console, errors
from wearhouse.ingest.records import READING_STREAMS
from wearhouse.settings import Settings, get_settings
from wearhouse.sources.report import ImportReport, Tracker

SHOWN_REJECTED_GROUPS = 50
_POSITION = re.compile(r"(?P<word>[a-z]+) (?P<number>\d+)")

import_app = typer.Typer(
    help="Import real exports (Fitbit, PMData, Apple Health) into bronze; then run `wearhouse transform`.",
    no_args_is_help=True,
)


class DeviceKind(StrEnum):
    band = "band"
    watch = "watch"


class RichTracker(Tracker):
    """Draws an import's progress: a bar over the bytes read, files done and records sent."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("Importing", total=None, files=0, done=0, records=0)

    def begin(self, files: int, total_bytes: int) -> None:
        """Set the totals."""
        self.progress.update(self.task, total=max(total_bytes, 1), files=files)

    def file(self, name: str) -> None:
        """Show the file being read."""
        self.progress.update(self.task, description=name if len(name) <= 40 else f"...{name[-37:]}")

    def advance(self, *, records: int = 0, read_bytes: int = 0, files: int = 0) -> None:
        """Move the bar and the counters."""
        fields = self.progress.tasks[self.task].fields
        self.progress.update(
            self.task,
            advance=read_bytes,
            done=fields["done"] + files,
            records=fields["records"] + records,
        )


def import_progress() -> Progress:
    """The import progress bar: current file, bytes, files done and records sent to bronze."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[done]}/{task.fields[files]} files"),
        TextColumn("{task.fields[records]:,} records"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


Importer = Callable[[Settings, Tracker], ImportReport]


def run_import(path: Path, importer: Importer) -> ImportReport:
    """Run an importer with a progress bar, then print its summary; bad input exits with code 2."""
    started = time.perf_counter()
    try:
        with import_progress() as progress:
            report = importer(get_settings(), RichTracker(progress))
    except (FileNotFoundError, ValueError) as exc:
        errors.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    print_summary(report, path, time.perf_counter() - started)
    return report


@import_app.command("fitbit")
def fitbit(
    path: Annotated[
        Path,
        typer.Argument(
            help="A Fitbit account export or Google Takeout Fitbit folder (or one of its files)."
        ),
    ],
    user_id: Annotated[str, typer.Option("--user-id", help="The user the export belongs to.")],
    device_id: Annotated[
        str | None,
        typer.Option(
            "--device-id", help="The device the readings come from (default: fitbit-USER_ID)."
        ),
    ] = None,
    kind: Annotated[DeviceKind, typer.Option(help="What kind of Fitbit it is.")] = DeviceKind.band,
) -> None:
    """Import a Fitbit export: heart rate, steps, sleep (with scores) and exercise as workouts."""
    from wearhouse.sources.fitbit import import_fitbit

    run_import(
        path,
        lambda settings, tracker: import_fitbit(
            path, user_id, device_id=device_id, kind=kind.value, settings=settings, tracker=tracker
        ),
    )


@import_app.command("pmdata")
def pmdata(
    path: Annotated[
        Path,
        typer.Argument(
            help="The PMData folder (participant-overview.csv and pXX/fitbit/ folders)."
        ),
    ],
) -> None:
    """Import PMData: users from the overview, a Fitbit Versa 2 each, readings, sleeps, workouts."""
    from wearhouse.sources.pmdata import import_pmdata

    run_import(
        path, lambda settings, tracker: import_pmdata(path, settings=settings, tracker=tracker)
    )


@import_app.command("apple-health")
def apple_health(
    path: Annotated[
        Path,
        typer.Argument(help="The Health app's export.zip, its export.xml, or the unzipped folder."),
    ],
    user_id: Annotated[
        str,
        typer.Option(
            "--user-id", help="The user the export belongs to; give each person their own."
        ),
    ] = "me",
) -> None:
    """Import an Apple Health export (streamed): heart rate, steps, sleep, workouts and profile."""
    from wearhouse.sources.apple_health import import_apple_health

    run_import(
        path,
        lambda settings, tracker: import_apple_health(
            path, user_id, settings=settings, tracker=tracker
        ),
    )


def print_summary(report: ImportReport, path: Path, seconds: float) -> None:
    """Records per stream; what has no stream; every skipped and refused record with its reason."""
    ingest = report.ingest
    for name in sorted(ingest.records):
        # Only reading streams hold several readings per record (a bucket of steps per minute).
        readings = f"{ingest.readings[name]:>12,} readings" if name in READING_STREAMS else ""
        console.print(f"  {name:<11} {ingest.records[name]:>10,} records  {readings}")
    total = sum(ingest.records.values())
    console.print(
        f"[green]Imported[/] {total:,} records from {report.files} file{'' if report.files == 1 else 's'} "
        f"of {path} into bronze in "
        f"{seconds:.1f} s ({total / max(seconds, 1e-9):,.0f} records/s).",
        highlight=False,
    )
    if report.not_imported:
        console.print("Not imported (Wearhouse has no stream for them):")
        for what, count in sorted(report.not_imported.items()):
            console.print(f"  {count:>8,} {what}", markup=False, highlight=False)
    if report.skipped:
        console.print(
            f"[yellow]Skipped {len(report.skipped):,} records[/] (no stream can hold them):"
        )
        for line in grouped((s.file, s.position, s.reason) for s in report.skipped):
            console.print(f"  {line}", markup=False, highlight=False)
    if ingest.rejected:
        console.print(
            f"[yellow]Refused {len(ingest.rejected):,} records[/] that break their stream's contract "
            "(kept in bronze; listed in silver.quarantine after `wearhouse transform`):"
        )
        lines = grouped((r.file, r.position, f"{r.stream}: {r.reason}") for r in ingest.rejected)
        for line in lines[:SHOWN_REJECTED_GROUPS]:
            console.print(f"  {line}", markup=False, highlight=False)
        if len(lines) > SHOWN_REJECTED_GROUPS:
            console.print(f"  ... and {len(lines) - SHOWN_REJECTED_GROUPS:,} more lines")
    for note in report.notes:
        console.print(f"Note: {note}", markup=False, highlight=False)
    console.print(
        "Next: `wearhouse transform` builds silver and gold; readings with bad values "
        "(bpm outside 20-250, sleeps of 24 h or more, ...) are quarantined there with their reason."
    )


def grouped(items: Iterable[tuple[str, str, str]]) -> list[str]:
    """(file, position, reason) items as lines, consecutive ones with the same file and reason merged."""
    groups: list[tuple[str, str, list[str]]] = []
    for file, position, reason in items:
        if groups and groups[-1][0] == file and groups[-1][1] == reason:
            groups[-1][2].append(position)
        else:
            groups.append((file, reason, [position]))
    return [f"{file} {compress(positions)}: {reason}" for file, reason, positions in groups]


def compress(positions: list[str]) -> str:
    """["item 2", "item 3", "item 8"] -> "items 2-3, 8"; other positions are listed as they are."""
    numbers: dict[str, list[int]] = {}
    others: list[str] = []
    for position in positions:
        match = _POSITION.fullmatch(position)
        if match:
            numbers.setdefault(match["word"], []).append(int(match["number"]))
        else:
            others.append(position)
    parts = []
    for word, found in numbers.items():
        ranges: list[str] = []
        for value in sorted(set(found)):
            if ranges and value == _last(ranges) + 1:
                ranges[-1] = f"{ranges[-1].split('-')[0]}-{value}"
            else:
                ranges.append(str(value))
        plural = f"{word}s" if len(found) > 1 else word
        parts.append(f"{plural} {', '.join(ranges)}")
    return ", ".join(parts + others) + (f" ({len(positions):,})" if len(positions) > 1 else "")


def _last(ranges: list[str]) -> int:
    return int(ranges[-1].rsplit("-", 1)[-1])
