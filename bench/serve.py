"""Query API benchmark: requests/s and latency of the user-daily and cohort endpoints.

    uv run python bench/serve.py --users 1000 --days 365 --clients 32 --seconds 20 --workers 2
    uv run python bench/serve.py --pipeline --users 200 --days 30 --hr-interval 300
    uv run python bench/serve.py --home .wearhouse

By default the gold tables are written directly with DuckDB in the published shapes (DESIGN.md
section 5; through the pipeline, 1,000 users x 30 days at hr-interval 300 takes 9 minutes on 2
cores, so 1,000 x 365 would take well over an hour);
`--pipeline` builds them through the real pipeline instead, and `--home DIR` benches a copy of an
existing home's gold (e.g. one `wearhouse demo` built). `wearhouse serve` then runs on
127.0.0.1 and `clients` keep-alive connections send GETs for `seconds` after a 2 s warm-up:
  user_daily  each user's own token asking for its default 30 days (users round-robin)
  cohorts     an analyst token asking for each month's age groups, and for all months
Also measured in this process, without HTTP: the snapshot build, and one uncached cohort query
and one user-daily lookup on the snapshot. Writes bench/results/serve-<gold>.json.

Then the live feed (bench/live_feed.py): latency from a reading's 202 to its WebSocket frame,
in-process and through Redis; `--live-only` measures just that and writes
bench/results/serve-live.json, `--no-live` skips it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx
import uvloop
from deltalake import write_deltalake

sys.path.insert(0, str(Path(__file__).parent))
from live_feed import bench_live
from loadgen import build_request, run_load

from wearhouse.auth.tokens import Role, TokenStore
from wearhouse.serve.access import Scope
from wearhouse.serve.service import AgeGroupsMonthly, UserDaily, Window
from wearhouse.serve.snapshot import build_snapshot
from wearhouse.settings import Settings

AGE_GROUPS = (
    "['under 18', '18-25', '25-35', '35-45', '45-55', '55-65', '65-75', '75-85', '85-95', '95+']"
)
# Gold-shaped rows: the published column names and types, plausible values.
SYNTHETIC = {
    "user_daily": f"""
        with u as (select range as i, printf('u%04d', range + 1) as user_id from range($users)),
        d as (select range as j, $first + cast(range as integer) as day from range($days))
        select user_id, day, [printf('d%05d', i + 1)] as devices,
               cast(3000 + hash(i, j) % 12000 as bigint) as step_count,
               (68 + (hash(i, j, 1) % 150) / 10)::double as avg_bpm, (45 + i % 8)::double as min_bpm,
               (140 + i % 40)::double as max_bpm, (52 + (hash(i, j, 2) % 100) / 10)::double as resting_bpm,
               (360 + hash(i, j, 3) % 150)::double as sleep_minutes,
               (55 + (hash(i, j, 4) % 80) / 10)::double as avg_sleep_bpm,
               cast(1440 as bigint) as readings, cast(420 as bigint) as sleep_readings,
               (1440 * (68 + (hash(i, j, 1) % 150) / 10))::double as bpm_sum,
               (420 * (55 + (hash(i, j, 4) % 80) / 10))::double as sleep_bpm_sum,
               {AGE_GROUPS}[1 + i % 10] as age_group
        from u, d
    """,
    "age_group_monthly": """
        select cast(date_trunc('month', day) as date) as month, age_group,
               count(distinct user_id) as users,
               (sum(sleep_bpm_sum) / sum(sleep_readings))::double as avg_sleep_bpm,
               (sum(step_count) / count(distinct user_id))::double as avg_step_count,
               (sum(bpm_sum) / sum(readings))::double as avg_bpm, cast(sum(readings) as bigint) as readings
        from user_daily_source group by all
    """,
    "workout_bpm_summary": f"""
        with w as (
            select i, j, printf('u%04d', i + 1) as user_id,
                   cast($first + cast(j as integer) as timestamptz) + to_minutes(cast(420 + hash(i, j) % 600 as bigint)) as start_time
            from range($users) u(i), range($days) d(j) where (i + j) % 2 = 0
        )
        select user_id, printf('w%d', 1 + i % 9) as workout_id, printf('s%04d', j) as session_id,
               start_time, start_time + interval 45 minutes as end_time,
               {AGE_GROUPS}[1 + i % 10] as age_group, ['female', 'male', 'nonbinary'][1 + i % 3] as gender,
               'Austin' as city, 'TX' as state, 95::double as min_bpm, 128.5::double as avg_bpm,
               171::double as max_bpm,
               cast(540 as bigint) as num_recordings
        from w
    """,
    "gym_activity_summary": """
        with v as (
            select i, j, cast($first + cast(j as integer) as timestamptz) + interval 17 hours as login
            from range($users) u(i), range($days) d(j) where (i + j) % 4 = 0
        )
        select cast(login as date) as date, printf('g%02d', 1 + i % 12) as gym_id,
               printf('aa:bb:cc:%02x:%02x:%02x', i // 65536, (i // 256) % 256, i % 256) as mac_address,
               printf('u%04d', i + 1) as user_id, 'w8' as workout_id, printf('s%04d', j) as session_id,
               login, login + interval 80 minutes as logout, login + interval 10 minutes as start_time,
               login + interval 65 minutes as end_time, 80::double as minutes_in_gym,
               55::double as minutes_exercising
        from v
    """,
    "heart_rate_by_activity": f"""
        select cast(date_trunc('month', $first + cast(m * 31 as integer)) as date) as month,
               cast(a as varchar) as activity_id,
               ['walking', 'yoga', 'pilates', 'cycling', 'swimming', 'elliptical', 'rowing',
                'strength training', 'running'][a] as activity_name,
               'moderate' as intensity, {AGE_GROUPS}[1 + g] as age_group,
               ['female', 'male', 'nonbinary'][1 + s] as gender,
               ['United States', 'Canada', 'Germany', 'Spain', 'United Kingdom', 'Japan'][1 + c] as country,
               (90 + a * 7)::double as avg_bpm, (70 + a * 5)::double as min_bpm,
               (120 + a * 8)::double as max_bpm,
               cast(100 + hash(m, a, g, s, c) % 5000 as bigint) as readings,
               cast(1 + hash(m, a, g, s, c) % 40 as bigint) as users
        from range(least(12, ($days + 30) // 31)) t1(m), range(1, 10) t2(a), range(10) t3(g),
             range(3) t4(s), range(6) t5(c)
    """,
}


def write_synthetic_gold(settings: Settings, users: int, days: int) -> dict[str, int]:
    """Gold-shaped Delta tables for `users` x `days`, written directly; rows per table."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    first = date.today() - timedelta(days=days)
    params = {"users": users, "days": days, "first": first}
    con.execute(f"create table user_daily_source as {SYNTHETIC['user_daily']}", params)
    rows = {}
    for table, sql in SYNTHETIC.items():
        relation = "select * from user_daily_source" if table == "user_daily" else sql
        needed = {k: v for k, v in params.items() if f"${k}" in relation}
        reader = con.sql(relation, params=needed).to_arrow_reader(1_000_000)
        write_deltalake(str(settings.lake / "gold" / table), reader, mode="overwrite")
        [(count,)] = con.execute(f"select count(*) from ({relation})", needed).fetchall()
        rows[table] = count
    return rows


def pipeline_gold(settings: Settings, users: int, days: int, hr_interval: int, work: Path) -> None:
    """Gold through the real pipeline: generate, ingest, transform."""
    from wearhouse.ingest.files import ingest_path
    from wearhouse.synth import FleetConfig, write_fleet
    from wearhouse.transform.service import transform

    start = date.today() - timedelta(days=days + 1)
    config = FleetConfig(users=users, days=days, seed=1, start=start, hr_interval_s=hr_interval)
    write_fleet(config, work / "fleet")
    ingest_path(work / "fleet", settings=settings)
    transform(settings)


def in_process(settings: Settings, users: list[str], months: list[date]) -> dict[str, float]:
    """Snapshot build time and the cost of one uncached query on it, without HTTP."""
    started = time.perf_counter()
    snapshot = build_snapshot(settings)
    built = time.perf_counter() - started

    def median_ms(run: object, times: int = 300) -> float:
        samples = []
        for n in range(times):
            t = time.perf_counter()
            run(n)  # type: ignore[operator]
            samples.append((time.perf_counter() - t) * 1000)
        return round(statistics.median(samples), 3)

    analyst = Scope(sees_mac_address=False)
    window = Window()
    return {
        "snapshot_build_s": round(built, 2),
        "user_daily_lookup_ms": median_ms(
            lambda n: UserDaily(Scope(), users[n % len(users)], None, None, window).run(snapshot)
        ),
        "cohort_query_uncached_ms": median_ms(
            lambda n: AgeGroupsMonthly(analyst, months[n % len(months)], window).run(snapshot)
        ),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def load(port: int, requests: list[bytes], clients: int, seconds: float) -> dict[str, float | int]:
    """Warm up for 2 s, then measure."""
    # uvloop (installed with uvicorn[standard]) keeps the client's share of the 2 cores small.
    uvloop.run(run_load("127.0.0.1", port, requests, clients, 2))
    result = uvloop.run(run_load("127.0.0.1", port, requests, clients, seconds))
    summary = result.summary(1)
    summary.pop("readings_per_s")
    return {**summary, "statuses": {str(k): v for k, v in sorted(result.statuses.items())}}


def bench_http(settings: Settings, args: argparse.Namespace, users: list[str]) -> dict[str, object]:
    """Load the two endpoints of a running `wearhouse serve`."""
    store = TokenStore.for_settings(settings)
    user_tokens = {u: store.create(Role.user, u)[0] for u in users}
    analyst, _ = store.create(Role.analyst)
    port = _free_port()
    env = {**os.environ, "WEARHOUSE_HOME": str(settings.home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "wearhouse.cli.main", "serve", "--port", str(port),
         "--workers", str(args.workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(f"{base}/health")
        headers = {"Authorization": f"Bearer {analyst}"}
        answer = httpx.get(f"{base}/v1/cohorts/age-groups/monthly?limit=1000", headers=headers)
        months = sorted({item["month"] for item in answer.json()["items"]})
        daily = [
            build_request(
                f"/v1/users/{u}/daily", b"", {"Authorization": f"Bearer {t}"}, method="GET"
            )
            for u, t in user_tokens.items()
        ]
        cohort_paths = [f"/v1/cohorts/age-groups/monthly?month={m}" for m in months]
        cohort_paths.append("/v1/cohorts/age-groups/monthly")
        cohorts = [build_request(p, b"", headers, method="GET") for p in cohort_paths]
        return {
            "user_daily": load(port, daily, args.clients, args.seconds),
            "cohorts": load(port, cohorts, args.clients, args.seconds),
        }
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


def gold_rows(settings: Settings) -> tuple[dict[str, int], list[str], list[date]]:
    """Rows per served gold table, the users with days, and the months of the cohort table."""
    snapshot = build_snapshot(settings)
    assert snapshot.daily is not None, "gold.user_daily was not built"
    rows = {"user_daily": len(snapshot.daily)}
    for table in ("age_group_monthly", "workout_bpm_summary", "gym_activity_summary"):
        [(rows[table],)] = snapshot.con.execute(f"select count(*) from {table}").fetchall()
    months = [m for (m,) in snapshot.con.execute(
        "select distinct month from age_group_monthly order by 1").fetchall()]  # fmt: skip
    return rows, snapshot.daily.users(), months


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pipeline", action="store_true", help="build gold through the pipeline")
    parser.add_argument("--hr-interval", type=int, default=300, help="with --pipeline")
    parser.add_argument("--home", type=Path, help="bench a copy of this home's gold instead")
    parser.add_argument("--live-only", action="store_true", help="only the live-feed latency")
    parser.add_argument("--no-live", action="store_true", help="skip the live-feed latency")
    parser.add_argument("--live-clients", type=int, default=10, help="WebSocket clients")
    parser.add_argument("--live-rate", type=float, default=50, help="readings posted per second")
    parser.add_argument("--live-seconds", type=float, default=15)
    args = parser.parse_args()
    if args.live_only:
        load_before = os.getloadavg()[0]
        with tempfile.TemporaryDirectory(prefix="wearhouse-bench-live-") as tmp:
            live = bench_live(Path(tmp), args.live_clients, args.live_rate, args.live_seconds)
        live |= {"cpus": os.cpu_count(), "load_average_1m_before": round(load_before, 2)}
        print(json.dumps(live, indent=2))
        out = Path(__file__).parent / "results" / "serve-live.json"
        out.write_text(json.dumps(live, indent=2) + "\n")
        print(f"wrote {out}")
        return

    with tempfile.TemporaryDirectory(prefix="wearhouse-bench-serve-") as tmp:
        work = Path(tmp)
        settings = Settings(home=work / "home")
        started = time.perf_counter()
        if args.home:
            shutil.copytree(Settings(home=args.home).lake / "gold", settings.lake / "gold")
            label, source = f"home-{args.home.name}", f"a copy of {args.home}/lake/gold"
        elif args.pipeline:
            pipeline_gold(settings, args.users, args.days, args.hr_interval, work)
            label = f"pipeline-{args.users}x{args.days}-hr{args.hr_interval}s"
            source = (
                f"pipeline, {args.users} users x {args.days} days, hr every {args.hr_interval} s"
            )
        else:
            write_synthetic_gold(settings, args.users, args.days)
            label = f"synthetic-{args.users}x{args.days}"
            source = f"synthetic (written with DuckDB), {args.users} users x {args.days} days"
        gold_seconds = time.perf_counter() - started
        rows, users, months = gold_rows(settings)
        load_before = os.getloadavg()
        figures = {
            "setup": {
                "gold": source,
                "gold_rows": rows,
                "gold_seconds": round(gold_seconds, 1),
                "clients": args.clients,
                "seconds": args.seconds,
                "workers": args.workers,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_1m_before": round(load_before[0], 2),
            },
            "in_process": in_process(settings, users, months),
            "http": bench_http(settings, args, users),
        }
        if not args.no_live:
            figures["live"] = bench_live(work, args.live_clients, args.live_rate, args.live_seconds)
    print(json.dumps(figures, indent=2))
    out = Path(__file__).parent / "results" / f"serve-{label}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
