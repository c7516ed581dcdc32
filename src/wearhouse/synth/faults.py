"""Bad records a pipeline must quarantine, injected when a fleet is built `with_errors`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from wearhouse.synth.config import FleetConfig
from wearhouse.synth.people import Person
from wearhouse.synth.timefmt import iso

if TYPE_CHECKING:
    from wearhouse.synth.writer import FleetFiles

UNKNOWN_DEVICE = "d99999"
NOT_JSON = b"not json: d00001,2026-10-01T12:00:00Z,72 bpm\n"


def bad_records(cfg: FleetConfig, person: Person) -> dict[str, list[dict[str, Any]]]:
    """The bad JSON records per stream, using the person's wearable as the known device."""
    device = person.wearable.device_id
    noon = cfg.start_epoch + 12 * 3_600
    week_late = cfg.end_epoch + 7 * 86_400 - 12 * 3_600 + 7  # noon a week after the last day
    # Odd seconds off the minute grid, so a bad reading never shadows a good one.
    return {
        "heart_rate": [
            {"device_id": device, "ts": iso(noon + 1), "bpm": 0, "confidence": 1},
            {"device_id": device, "ts": iso(noon + 3), "bpm": 400, "confidence": 1},
            {"device_id": UNKNOWN_DEVICE, "ts": iso(noon + 5), "bpm": 72, "confidence": 3},
            {"device_id": device, "ts": iso(week_late), "bpm": 70},
            {"ts": iso(noon + 9), "bpm": 71, "confidence": 3},
        ],
        "steps": [{"device_id": device, "ts": iso(noon + 31), "steps": -5}],
        "sleeps": [
            {
                "device_id": device,
                "created_at": iso(noon),
                "ended_at": iso(noon),
                "metrics": [
                    {
                        "start_ts": iso(noon - 2 * 3_600),
                        "end_ts": iso(noon - 4 * 3_600),
                        "duration": -2 * 3_600_000,
                    }
                ],
            }
        ],
    }


def write_faults(cfg: FleetConfig, person: Person, files: FleetFiles) -> None:
    """Append the bad records (and one line that is not JSON) and count them as bad."""
    total = 0
    for stream, records in bad_records(cfg, person).items():
        text = b"".join(orjson.dumps(r) + b"\n" for r in records)
        files.lines(stream, text, len(records))
        total += len(records)
    files.lines("heart_rate", NOT_JSON, 1)
    files.counts["bad_records"] += total + 1
