"""Pipeline benchmark: generate a fleet, ingest it, run the full transform; print and write JSON.

    uv run python bench/pipeline.py --users 200 --days 30 --hr-interval 5

Figures: generation, ingest and transform wall time, readings/s for ingest and for the
transform, and peak resident memory of this process and of its children (the dbt process).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from wearhouse.ingest.files import ingest_path
from wearhouse.lake.read import connect
from wearhouse.settings import Settings
from wearhouse.synth import FleetConfig, write_fleet
from wearhouse.transform.service import transform


def _peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def run(users: int, days: int, hr_interval: int, workdir: Path) -> dict[str, object]:
    """One generate -> ingest -> transform run, with its figures."""
    settings = Settings(home=workdir / "home")
    fleet = workdir / "fleet"
    config = FleetConfig(
        users=users,
        days=days,
        seed=1,
        start=date.today() - timedelta(days=days + 1),
        hr_interval_s=hr_interval,
    )
    t0 = time.perf_counter()
    counts = write_fleet(config, fleet)
    t1 = time.perf_counter()
    report = ingest_path(fleet, settings=settings)
    t2 = time.perf_counter()
    after_ingest = _peak_mib(resource.RUSAGE_SELF)
    result = transform(settings, full_refresh=True)
    t3 = time.perf_counter()
    con = connect(settings, layers=("silver", "gold"))
    [(silver_hr,)] = con.execute("select count(*) from silver.heart_rate").fetchall()
    [(user_days,)] = con.execute("select count(*) from gold.user_daily").fetchall()
    readings = sum(report.readings.values())
    bytes_in = sum(p.stat().st_size for p in fleet.iterdir())
    return {
        "fleet": {"users": users, "days": days, "hr_interval_s": hr_interval},
        "heart_rate_readings": counts["heart_rate_readings"],
        "all_readings": readings,
        "input_bytes": bytes_in,
        "generate_s": round(t1 - t0, 2),
        "ingest_s": round(t2 - t1, 2),
        "ingest_readings_per_s": round(readings / (t2 - t1)),
        "ingest_mb_per_s": round(bytes_in / 1e6 / (t2 - t1), 1),
        "transform_s": round(t3 - t2, 2),
        "transform_readings_per_s": round(readings / (t3 - t2)),
        "transform_dbt_s": round(result.dbt_seconds, 2),
        "transform_publish_s": round(result.publish_seconds, 2),
        "silver_heart_rate_rows": silver_hr,
        "gold_user_days": user_days,
        "peak_rss_mib_ingest": round(after_ingest),
        "peak_rss_mib_transform_child": round(_peak_mib(resource.RUSAGE_CHILDREN)),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
    }


def main() -> None:
    """Parse arguments, run, print the figures and write them to bench/results/."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--hr-interval", type=int, default=5, help="seconds between heart-rate readings"
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep the data here (default: a temp dir)"
    )
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="wearhouse-bench-"))
    try:
        figures = run(args.users, args.days, args.hr_interval, workdir)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    name = f"pipeline-{args.users}x{args.days}-{args.hr_interval}s.json"
    (out / name).write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
