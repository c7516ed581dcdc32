"""`wearhouse import pmdata`: the PMData dataset (Simula; 16 people wearing a Fitbit Versa 2).

Layout: `participant-overview.csv|xlsx` and one folder per participant, `pXX/fitbit/` holding the
Fitbit metric files (heart_rate.json, steps.json, sleep.json, exercise.json,
resting_heart_rate.json, sleep_score.csv, and others that have no stream). Each participant
becomes user `pmdata-pXX` (created as of the study start, 2019-11-01, with an approximate dob;
see overview.Participant.approximate_dob) wearing device `fitbit-pmdata-pXX`. Times are local
wall-clock times taken as given (UTC per DESIGN.md), as for every Fitbit export.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from wearhouse.settings import Settings, get_settings
from wearhouse.sources.fitbit.files import (
    HANDLERS,
    Wearer,
    import_metric_file,
    read_sleep_scores,
    skip_unmatched_scores,
)
from wearhouse.sources.pmdata.overview import STUDY_START, Participant, find_overview, read_overview
from wearhouse.sources.report import ImportReport, Tracker
from wearhouse.sources.sink import Sink

DEVICE_MODEL = "Fitbit Versa 2"
_PARTICIPANT = re.compile(r"p\d+")


def user_id(participant: str) -> str:
    """The Wearhouse user id of a participant: p01 -> pmdata-p01."""
    return f"pmdata-{participant}"


def participant_dirs(path: Path) -> tuple[Path, list[Path]]:
    """The dataset root and its participant folders (path may be the root or one pXX folder)."""
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: not a folder; pass the PMData folder holding pXX/fitbit/")
    if _PARTICIPANT.fullmatch(path.name):
        return path.parent, [path]
    found = sorted(p for p in path.iterdir() if p.is_dir() and _PARTICIPANT.fullmatch(p.name))
    if not found:
        raise ValueError(
            f"{path}: no participant folders (p01, p02, ...): is this the PMData folder?"
        )
    return path, found


def import_pmdata(
    path: Path, *, settings: Settings | None = None, tracker: Tracker | None = None
) -> ImportReport:
    """Import PMData: a user and a device per participant, then their readings, sleeps and workouts."""
    settings = settings or get_settings()
    root, folders = participant_dirs(path)
    overview_path = find_overview(root)
    people = read_overview(overview_path) if overview_path else []
    inputs = [f for folder in folders for f in _fitbit_files(folder)]
    with Sink(f"file:{root.name}", settings, tracker) as sink:
        sink.tracker.begin(len(inputs), sum(f.stat().st_size for f in inputs))
        if overview_path is None:
            sink.note(f"{root}: no participant overview: users created without age, height, gender")
        elif overview_path.suffix == ".xlsx":
            sink.note(f"read {overview_path.name} with openpyxl")
        profiles = {p.participant: p for p in people}
        # The whole dataset registers everyone in the overview; one pXX folder only that person.
        everyone = {*profiles, *(f.name for f in folders)} if root == path else {path.name}
        for participant in sorted(everyone):
            _register(sink, participant, profiles.get(participant), overview_path)
        for folder in folders:
            _import_participant(sink, root, folder)
    return sink.report


def _register(
    sink: Sink, participant: str, profile: Participant | None, overview: Path | None
) -> None:
    user: dict[str, Any] = {
        "user_id": user_id(participant),
        "op": "create",
        "updated_at": f"{STUDY_START.isoformat()}T00:00:00",
    }
    file, position = (overview.name, profile.position) if overview and profile else ("-", "-")
    if profile:
        dob = profile.approximate_dob()
        fields = {
            "dob": dob.isoformat() if dob else None,
            "dob_is_approximate": dob is not None,
            "age_at_study_start": profile.age,
            "gender": profile.gender,
            "height_cm": profile.height_cm,
            "max_heart_rate": profile.max_heart_rate,
        }
        user.update({k: v for k, v in fields.items() if v is not None})
        for problem in profile.problems:
            sink.note(f"{file} {position} ({participant}): {problem}")
    sink.emit("users", user, file=file, position=position)
    device = {
        "device_id": f"fitbit-{user_id(participant)}",
        "user_id": user_id(participant),
        "model": DEVICE_MODEL,
        "kind": "watch",
    }
    sink.emit("devices", device, file=file, position=position)


def _import_participant(sink: Sink, root: Path, folder: Path) -> None:
    wearer = Wearer(user_id(folder.name), f"fitbit-{user_id(folder.name)}")
    for file in _fitbit_files(folder):
        label = file.relative_to(root).as_posix()
        if file.name == "sleep_score.csv":
            read_sleep_scores(sink, file, label, wearer)
        else:
            import_metric_file(sink, file.stem, file, label, wearer)
    skip_unmatched_scores(sink, wearer)
    fitbit = folder / "fitbit"
    others = [p for p in fitbit.iterdir() if p.is_file()] if fitbit.is_dir() else []
    for file in others:
        if file.stem not in HANDLERS and file.name != "sleep_score.csv":
            sink.not_imported(f"PMData {file.name} files (no Wearhouse stream for them)")
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and p.name != "fitbit"):
        sink.not_imported(f"PMData {sub.name}/ folders (self-reports; not imported)")


def _fitbit_files(folder: Path) -> list[Path]:
    """A participant's importable files: sleep scores first (their sleeps need them)."""
    fitbit = folder / "fitbit"
    if not fitbit.is_dir():
        return []
    files = sorted(p for p in fitbit.iterdir() if p.is_file() and p.stem in HANDLERS)
    scores = [fitbit / "sleep_score.csv"] if (fitbit / "sleep_score.csv").is_file() else []
    return scores + files
