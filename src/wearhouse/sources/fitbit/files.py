"""Fitbit's per-metric files (one JSON array each) into the streams; shared by exports and PMData."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wearhouse.sources.fitbit import records
from wearhouse.sources.jsonarray import JsonArrayError, iter_json_array
from wearhouse.sources.sink import Sink

RESTING_NOT_IMPORTED = (
    "resting-heart-rate days (Fitbit's daily estimate has no stream: "
    "gold.user_daily.resting_bpm is computed from the readings)"
)


@dataclass
class Wearer:
    """Whose data a file holds: the user, their device, and the sleep scores found for them."""

    user_id: str
    device_id: str
    scores: dict[str, tuple[dict[str, Any], str, str]] = field(default_factory=dict)
    matched: set[str] = field(default_factory=set)


Handler = Callable[[Sink, Wearer, Any, str, str], None]


def _heart_rate(sink: Sink, wearer: Wearer, item: Any, file: str, position: str) -> None:
    record = records.heart_rate(wearer.device_id, item) if isinstance(item, dict) else item
    sink.emit("heart_rate", record, file=file, position=position)


def _steps(sink: Sink, wearer: Wearer, item: Any, file: str, position: str) -> None:
    record = records.steps(wearer.device_id, item) if isinstance(item, dict) else item
    sink.emit("steps", record, file=file, position=position)


def _sleep(sink: Sink, wearer: Wearer, item: Any, file: str, position: str) -> None:
    if not isinstance(item, dict):
        sink.emit("sleeps", item, file=file, position=position)
        return
    log_id = str(item.get("logId"))
    score = wearer.scores.get(log_id)
    if score:
        wearer.matched.add(log_id)
    record = records.sleep(wearer.device_id, item, score[0] if score else None)
    sink.emit("sleeps", record, file=file, position=position)


def _exercise(sink: Sink, wearer: Wearer, item: Any, file: str, position: str) -> None:
    if not isinstance(item, dict):
        sink.emit("workouts", item, file=file, position=position)
        return
    events, problem = records.exercise(wearer.user_id, item)
    for event in events:
        sink.emit("workouts", event, file=file, position=position)
    if problem:
        sink.skip(file, position, f"workout stop not written: {problem}; fix the exercise log")


def _resting(sink: Sink, wearer: Wearer, item: Any, file: str, position: str) -> None:
    problem = records.resting_day_problem(item) if isinstance(item, dict) else "not a JSON object"
    if problem:
        sink.skip(file, position, problem)
    else:
        sink.not_imported(RESTING_NOT_IMPORTED)


HANDLERS: dict[str, Handler] = {
    "heart_rate": _heart_rate,
    "steps": _steps,
    "sleep": _sleep,
    "exercise": _exercise,
    "resting_heart_rate": _resting,
}
"""The Fitbit metrics Wearhouse imports, by their file-name stem."""


def import_metric_file(sink: Sink, metric: str, path: Path, label: str, wearer: Wearer) -> None:
    """Stream one metric file's records into bronze; an unreadable file is listed as skipped."""
    handler = HANDLERS[metric]
    sink.tracker.file(label)
    try:
        with path.open(encoding="utf-8-sig") as handle:
            on_read = lambda n: sink.tracker.advance(read_bytes=n)  # noqa: E731
            for index, item in iter_json_array(handle, on_read):
                handler(sink, wearer, item, label, f"item {index}")
    except JsonArrayError as exc:
        sink.skip(
            label,
            f"char {exc.offset}",
            f"{exc}; the {exc.items} items before it were imported: fix the file or export it again",
        )
    except UnicodeDecodeError as exc:
        sink.skip(label, f"byte {exc.start}", "not UTF-8 text: export the file again")
    sink.file_done()


def read_sleep_scores(sink: Sink, path: Path, label: str, wearer: Wearer) -> None:
    """Collect a sleep_score.csv's scores by sleep log id (columns are found by name)."""
    sink.tracker.file(label)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if "sleep_log_entry_id" not in (reader.fieldnames or []):
            sink.skip(label, "line 1", "no sleep_log_entry_id column: not a Fitbit sleep_score.csv")
        else:
            for row in reader:
                position = f"line {reader.line_num}"
                log_id = (row.get("sleep_log_entry_id") or "").strip()
                if log_id:
                    wearer.scores[log_id] = (records.sleep_score(row), label, position)
                else:
                    sink.skip(
                        label, position, "sleep_log_entry_id is blank: no sleep to attach it to"
                    )
    sink.tracker.advance(read_bytes=path.stat().st_size)
    sink.file_done()


def skip_unmatched_scores(sink: Sink, wearer: Wearer) -> None:
    """List the scores whose sleep is not in the export: a score is only kept with its sleep."""
    for log_id, (_, label, position) in wearer.scores.items():
        if log_id not in wearer.matched:
            reason = "no sleep with this sleep_log_entry_id in the sleep files: nothing to attach the score to"
            sink.skip(label, position, reason)
