"""`wearhouse import fitbit`: a Fitbit account export or Google Takeout Fitbit folder into bronze.

Both hold per-metric JSON files named `<metric>-<date or page>.json` (heart_rate-2017-10-08.json,
steps-2017-11-02.json, sleep-2017-02-05.json, exercise-700.json, resting_heart_rate-*.json), and
sometimes a sleep_score.csv. Times are local wall-clock times without a zone, taken as given
(no offset, i.e. UTC per DESIGN.md); see wearhouse.sources.fitbit.records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from wearhouse.settings import Settings, get_settings
from wearhouse.sources.fitbit.files import (
    HANDLERS,
    Wearer,
    import_metric_file,
    read_sleep_scores,
    skip_unmatched_scores,
)
from wearhouse.sources.report import ImportReport, Tracker
from wearhouse.sources.sink import Sink

_METRIC_FILE = re.compile(r"(?P<metric>[a-z][a-z0-9_]*)-(?P<tag>\d[\d-]*)\.json")
SCORES_FILE = "sleep_score.csv"
KINDS = ("band", "watch")


@dataclass
class ExportFiles:
    """The files of an export, sorted: scores first (sleeps need them), then the metric files."""

    root: Path
    scores: list[Path] = field(default_factory=list)
    metrics: list[tuple[str, Path]] = field(default_factory=list)
    unmapped: dict[str, int] = field(default_factory=dict)

    def label(self, path: Path) -> str:
        """The file's path relative to the export, as shown in reports."""
        return path.relative_to(self.root).as_posix() if path != self.root else path.name

    def paths(self) -> list[Path]:
        """Every file the import reads."""
        return [*self.scores, *(p for _, p in self.metrics)]


def discover(path: Path) -> ExportFiles:
    """The Fitbit files under path (a folder, or one file); errors say what was expected."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    root = path if path.is_dir() else path.parent
    found = ExportFiles(root)
    candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in candidates:
        match = _METRIC_FILE.fullmatch(file.name)
        if file.name == SCORES_FILE:
            found.scores.append(file)
        elif match and match["metric"] in HANDLERS:
            found.metrics.append((match["metric"], file))
        else:
            kind = f"{match['metric']}-*.json files" if match else "other files"
            found.unmapped[kind] = found.unmapped.get(kind, 0) + 1
    if not found.metrics:
        raise ValueError(
            f"{path}: no Fitbit metric files found; expected a Fitbit account export or Google "
            f"Takeout Fitbit folder with files such as heart_rate-YYYY-MM-DD.json, steps-*.json, "
            f"sleep-*.json or exercise-*.json"
        )
    return found


def import_fitbit(
    path: Path,
    user_id: str,
    *,
    device_id: str | None = None,
    kind: str = "band",
    settings: Settings | None = None,
    tracker: Tracker | None = None,
) -> ImportReport:
    """Import one person's Fitbit export into bronze: their device, readings, sleeps and workouts."""
    settings = settings or get_settings()
    files = discover(path)
    wearer = Wearer(user_id, device_id or f"fitbit-{user_id}")
    with Sink(f"file:{path.name}", settings, tracker) as sink:
        paths = files.paths()
        sink.tracker.begin(len(paths), sum(p.stat().st_size for p in paths))
        device = {"device_id": wearer.device_id, "user_id": user_id, "kind": kind}
        sink.emit("devices", device, file=path.name, position="the export's device")
        for score_file in files.scores:
            read_sleep_scores(sink, score_file, files.label(score_file), wearer)
        for metric, file in files.metrics:
            import_metric_file(sink, metric, file, files.label(file), wearer)
        skip_unmatched_scores(sink, wearer)
        for what, count in files.unmapped.items():
            sink.not_imported(f"{what} (no Wearhouse stream for them)", count)
    return sink.report
