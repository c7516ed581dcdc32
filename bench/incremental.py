"""Incremental transform benchmark: full refresh versus one more day, for two history sizes.

    uv run python bench/incremental.py --users 200 --history 30 60 --hr-interval 15

One fleet of max(history) + 1 days is generated. For each history size H a fresh home ingests
days 1..H and runs a full refresh (timed); then day H+1 is ingested and an incremental run is
timed. The same day is ingested twice more (duplicates: the same amount of bronze to read,
validate and merge) for two more incremental samples, whose median is reported with the first.
The incremental time should follow the new data, not the history.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from wearhouse.ingest.files import ingest_path
from wearhouse.settings import Settings
from wearhouse.synth import FleetConfig, write_fleet
from wearhouse.transform.service import transform

DATE_KEYS = ("created_at", "ts", "login")


def record_day(record: dict[str, object]) -> str | None:
    """The day (ISO text) a record belongs to; None for profiles and devices (always history)."""
    metrics = record.get("metrics")
    if isinstance(metrics, list) and metrics and "end_ts" in metrics[0]:
        return str(metrics[0]["end_ts"])[:10]
    for key in DATE_KEYS:
        if key in record and record[key] is not None:
            return str(record[key])[:10]
    return None


def split(fleet: Path, start: date, history: int, out: Path) -> tuple[Path, Path]:
    """Write days 1..history to out/history and day history+1 to out/new, as NDJSON files."""
    old_dir, new_dir = out / "history", out / "new"
    old_dir.mkdir(parents=True)
    new_dir.mkdir()
    new_day = (start + timedelta(days=history)).isoformat()
    for path in sorted(fleet.iterdir()):
        name = path.name.split(".")[0] + ".jsonl"
        with (old_dir / name).open("w") as old, (new_dir / name).open("w") as new:
            for line in _lines(path):
                day = _day_of_line(line)
                if day is None or day < new_day:
                    old.write(line + "\n")
                elif day == new_day:
                    new.write(line + "\n")
    return old_dir, new_dir


def _lines(path: Path) -> list[str] | object:
    if path.suffix == ".json":
        return [json.dumps(r, separators=(",", ":")) for r in json.loads(path.read_text())]
    return (line.rstrip("\n") for line in path.open())


def _day_of_line(line: str) -> str | None:
    # Buckets are large: their day is in the first keys, so only the head of the line is parsed.
    head = line[:200]
    for key in ("created_at", "ts", "login"):
        marker = f'"{key}":"'
        at = head.find(marker)
        if at >= 0 and '"metrics":[{"start_ts"' not in line[:300]:
            return head[at + len(marker) : at + len(marker) + 10]
    return record_day(json.loads(line))


def measure(
    users: int, history: int, hr_interval: int, fleet: Path, start: date, work: Path
) -> dict:
    """Full refresh of `history` days, then incremental runs with one more day."""
    old_dir, new_dir = split(fleet, start, history, work / "split")
    settings = Settings(home=work / "home")
    t0 = time.perf_counter()
    ingest_path(old_dir, settings=settings)
    ingested = round(time.perf_counter() - t0, 2)
    result = time_runs(settings, new_dir)
    shutil.rmtree(work / "split")
    return {"history_days": history, "ingest_history_s": ingested} | result


def time_runs(settings: Settings, new_dir: Path) -> dict:
    """A full refresh of what bronze holds, then three incremental runs, each after `new_dir` is
    ingested (the second and third time as duplicates)."""
    t1 = time.perf_counter()
    full = transform(settings, full_refresh=True)
    t2 = time.perf_counter()
    runs = []
    for _ in range(3):
        ingest_path(new_dir, settings=settings)
        t3 = time.perf_counter()
        result = transform(settings)
        runs.append(
            {
                "seconds": round(time.perf_counter() - t3, 2),
                "dbt_s": round(result.dbt_seconds, 2),
                "publish_s": round(result.publish_seconds, 2),
                "incremental": result.incremental,
                "new_bronze_records": result.new_records,
                "affected_user_days": result.affected_user_days,
            }
        )
    first = runs[0]["seconds"]
    median = statistics.median(r["seconds"] for r in runs)
    full_s = round(t2 - t1, 2)
    return {
        "full_refresh_s": full_s,
        "full_refresh_dbt_s": round(full.dbt_seconds, 2),
        "full_refresh_publish_s": round(full.publish_seconds, 2),
        "incremental_first_s": first,
        "incremental_median_s": median,
        "incremental_runs": runs,
        "ratio_first": round(first / full_s, 4),
        "ratio_median": round(median / full_s, 4),
    }


def main() -> None:
    """Parse arguments, run, print a table and write bench/results/incremental.json."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--history", type=int, nargs="+", default=[30, 60])
    parser.add_argument("--hr-interval", type=int, default=15, help="seconds between readings")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp dir")
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help="time the runs on this existing home, whose bronze already holds the history "
        "(skips generating and ingesting it); needs --new",
    )
    parser.add_argument("--new", type=Path, default=None, help="with --home: the new day's files")
    args = parser.parse_args()
    if args.home is not None:
        if args.new is None:
            parser.error("--home needs --new, the folder of the new day's files")
        result = time_runs(Settings(home=args.home), args.new)
        print(json.dumps(result, indent=2))
        out = Path(__file__).parent / "results"
        out.mkdir(exist_ok=True)
        (out / "incremental_home.json").write_text(json.dumps(result, indent=2) + "\n")
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="wearhouse-bench-incr-"))
    days = max(args.history) + 1
    start = date.today() - timedelta(days=days + 1)
    config = FleetConfig(
        users=args.users, days=days, seed=1, start=start, hr_interval_s=args.hr_interval
    )
    try:
        t0 = time.perf_counter()
        counts = write_fleet(config, workdir / "fleet")
        generated = round(time.perf_counter() - t0, 2)
        sizes = [
            measure(args.users, h, args.hr_interval, workdir / "fleet", start, workdir / f"h{h}")
            for h in sorted(args.history)
        ]
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    figures = {
        "fleet": {"users": args.users, "days": days, "hr_interval_s": args.hr_interval},
        "heart_rate_readings_generated": counts["heart_rate_readings"],
        "generate_s": generated,
        "sizes": sizes,
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
    }
    print(
        f"{'history':>8} {'full s':>8} {'incr s':>8} {'incr med s':>10} {'ratio':>7} {'user-days':>9}"
    )
    for s in sizes:
        print(
            f"{s['history_days']:>8} {s['full_refresh_s']:>8} {s['incremental_first_s']:>8} "
            f"{s['incremental_median_s']:>10} {s['ratio_median']:>7.2%} "
            f"{s['incremental_runs'][0]['affected_user_days']:>9}"
        )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "incremental.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {out / 'incremental.json'}")


if __name__ == "__main__":
    main()
