"""PMData's participant overview (participant-overview.csv, or the .xlsx when openpyxl is there).

The sheet has two header rows (a group row, then the column names), Windows line ends and
messy cells: genders with a trailing non-breaking space ('male\\xa0'), a blank or ' ' max heart
rate, and 'november' or 'injured' in the 5 km run columns (which are not imported).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from wearhouse.sources.values import clean_text, number

CSV_NAME = "participant-overview.csv"
XLSX_NAME = "participant-overview.xlsx"
STUDY_START = date(2019, 11, 1)
"""PMData ran from 2019-11-01 to 2020-03-31; the overview's ages are taken as of its start."""

_GENDERS = {"male": "male", "m": "male", "female": "female", "f": "female"}


@dataclass
class Participant:
    """One overview row, normalised; `problems` says which cells were left out and why."""

    participant: str
    position: str
    age: int | None = None
    height_cm: float | None = None
    gender: str | None = None
    max_heart_rate: float | None = None
    problems: list[str] = field(default_factory=list)

    def approximate_dob(self) -> date | None:
        """An approximate birth date, 1 May of the year 2019 - age (the overview has ages only).

        The age is taken as of the study start: someone aged A on 2019-11-01 was born between
        2019-11-02 minus A + 1 years and 2019-11-01 minus A years; 1 May of the year 2019 - A
        sits in the middle, and gives age A from the study's first day (2019-11-01) to its last
        (2020-03-31).
        """
        if self.age is None:
            return None
        return date(STUDY_START.year - self.age, 5, 1)


def find_overview(root: Path) -> Path | None:
    """The overview file under root: the CSV when present, else the xlsx, else None."""
    for name in (CSV_NAME, XLSX_NAME):
        if (root / name).is_file():
            return root / name
    return None


def read_overview(path: Path) -> list[Participant]:
    """The participants of an overview file; raises ValueError naming the file and the fix."""
    rows = _xlsx_rows(path) if path.suffix == ".xlsx" else _csv_rows(path)
    header: list[str] | None = None
    participants = []
    for position, cells in rows:
        names = [clean_text(c) or "" for c in cells]
        if header is None:
            if names and names[0].lower() == "participant id":
                header = [n.lower() for n in names]
            continue
        row = dict(zip(header, cells, strict=False))
        participant = clean_text(row.get("participant id"))
        if participant:
            participants.append(_participant(participant.lower(), position, row))
    if header is None:
        raise ValueError(
            f"{path}: no header row starting with 'Participant ID': is this PMData's participant overview?"
        )
    return participants


def _participant(participant: str, position: str, row: dict[str, Any]) -> Participant:
    found = Participant(participant, position)
    age = number(clean_text(row.get("age")))
    if isinstance(age, (int, float)) and 0 < age < 130:
        found.age = int(age)
    else:
        found.problems.append(f"Age {row.get('age')!r} is not a number of years: dob left out")
    height = number(clean_text(row.get("height")))
    if isinstance(height, (int, float)) and 50 <= height <= 260:
        found.height_cm = float(height)
    else:
        found.problems.append(f"Height {row.get('height')!r} is not in cm: height_cm left out")
    gender = clean_text(row.get("gender"))
    found.gender = _GENDERS.get(gender.lower(), gender.lower()) if gender else None
    max_rate = number(clean_text(row.get("max heart rate")))
    if isinstance(max_rate, (int, float)):
        found.max_heart_rate = float(max_rate)
    else:
        found.problems.append(
            f"Max heart rate {row.get('max heart rate')!r} is blank or not a number: left out"
        )
    return found


def _csv_rows(path: Path) -> Iterator[tuple[str, Sequence[Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        for cells in reader:
            yield f"line {reader.line_num}", cells


def _xlsx_rows(path: Path) -> Iterator[tuple[str, Sequence[Any]]]:
    try:
        import openpyxl  # optional: not a dependency of Wearhouse
    except ImportError:
        raise ValueError(
            f"{path}: reading .xlsx needs openpyxl, which is not installed; save the sheet as "
            f"{CSV_NAME} beside it (the CSV is read first) or install openpyxl"
        ) from None
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for number_, cells in enumerate(book.active.iter_rows(values_only=True), start=1):
            yield f"row {number_}", ["" if c is None else c for c in cells]
    finally:
        book.close()
