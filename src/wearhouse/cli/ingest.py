"""`wearhouse ingest PATH`: stream files into bronze."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from wearhouse.cli.output import bytes_progress, console, errors
from wearhouse.ingest.files import IngestReport, discover, ingest_path
from wearhouse.settings import get_settings

SHOWN_REJECTIONS = 20


def ingest(
    path: Annotated[Path, typer.Argument(help="A stream file or a directory of them.")],
    stream: Annotated[
        str | None,
        typer.Option(help="The stream of every file; default: taken from each file name."),
    ] = None,
) -> None:
    """Ingest JSON, JSON-array or NDJSON files into bronze; bad records are reported and quarantined."""
    try:
        files = discover(path, stream)
    except (FileNotFoundError, ValueError) as exc:
        errors.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    if not files:
        errors.print(
            f"[red]error:[/] no stream files under {path} (expected <stream>.json|jsonl|ndjson)"
        )
        raise typer.Exit(2)
    started = time.perf_counter()
    with bytes_progress() as progress:
        task = progress.add_task("Ingesting", total=sum(f.stat().st_size for f, _ in files))
        report = ingest_path(
            path, stream, settings=get_settings(), progress=lambda n: progress.advance(task, n)
        )
    print_report(report, time.perf_counter() - started)


def print_report(report: IngestReport, seconds: float) -> None:
    """Per-stream counts, then each rejected record by file and position."""
    readings = sum(report.readings.values())
    for name in sorted(report.records):
        console.print(
            f"  {name:<11} {report.records[name]:>10,} records  {report.readings[name]:>12,} readings"
        )
    console.print(
        f"[green]Ingested[/] {sum(report.records.values()):,} records ({readings:,} readings) from "
        f"{report.files} files in {seconds:.1f} s ({readings / max(seconds, 1e-9):,.0f} readings/s)."
    )
    if report.rejected:
        console.print(
            f"[yellow]Rejected {len(report.rejected):,} records[/] (kept in silver.quarantine):"
        )
        for item in report.rejected[:SHOWN_REJECTIONS]:
            console.print(f"  {item.file} {item.position}: {item.reason}", markup=False)
        if len(report.rejected) > SHOWN_REJECTIONS:
            console.print(f"  ... and {len(report.rejected) - SHOWN_REJECTIONS:,} more")
