"""HTTP ingestion benchmark: Wearhouse against the usual FastAPI + PostgreSQL stack, and COPY.

    uv run python bench/ingest_http.py --seconds 30 --clients 32 --batch 1000 [--repeat 3]

Measures, on 127.0.0.1 with the same readings (JSON arrays of `batch` heart-rate readings):
  wearhouse    `wearhouse serve`: acknowledged only once durable in bronze (Delta)
  baseline_a   a minimal FastAPI endpoint writing each request to PostgreSQL with COPY
  baseline_b   PostgreSQL COPY of the same readings from a local CSV file (the durable ceiling)
and writes bench/results/ingest_http.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import psycopg

sys.path.insert(0, str(Path(__file__).parent))
from loadgen import build_request, run_load

from wearhouse.auth.tokens import Role, TokenStore
from wearhouse.lake.read import connect
from wearhouse.settings import Settings

DSN = os.environ.get("BASELINE_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc), 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_tree(pid: int) -> list[int]:
    """A process and its descendants (uvicorn workers are children of the supervisor)."""
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                found += _process_tree(int(child))
    except FileNotFoundError:
        pass
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_bodies(count: int, batch: int, shape: str = "readings") -> list[bytes]:
    """`count` distinct bodies of `batch` readings (distinct devices and timestamps): a JSON array
    of single readings, or one Fitbit-style bucket record holding them (`shape="bucket"`)."""
    start = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())
    bodies = []
    for b in range(count):
        device = f"d{b % 500:05d}"
        base = start + (b // 500) * batch * 5
        readings = [
            {
                "device_id": device,
                "ts": datetime.fromtimestamp(base + i * 5, UTC).isoformat(),
                "bpm": 60 + (i * 7 + b) % 60,
            }
            for i in range(batch)
        ]
        if shape == "bucket":
            metrics = [
                {"ts": base + i * 5, "bpm": r["bpm"], "confidence": 3}
                for i, r in enumerate(readings)
            ]
            bucket = {
                "device_id": device,
                "created_at": readings[0]["ts"],
                "ended_at": readings[-1]["ts"],
                "metrics": metrics,
            }
            bodies.append(orjson.dumps(bucket))
        else:
            bodies.append(orjson.dumps(readings))
    return bodies


def _wait(url: str, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


def load(
    port: int,
    path: str,
    bodies: list[bytes],
    headers: dict[str, str],
    clients: int,
    seconds: float,
    server_pid: int,
) -> dict[str, object]:
    """Warm up for 2 s, then measure; also the CPU the server and this load generator used (in
    cores) and the machine's load average before the run, since other work may share the CPUs."""
    requests = [build_request(path, body, headers) for body in bodies]
    asyncio.run(run_load("127.0.0.1", port, requests, clients, 2))
    pids = _process_tree(server_pid)
    load_before = os.getloadavg()[0]
    server_before = sum(_cpu_seconds(p) for p in pids)
    client_before = _cpu_seconds(os.getpid())
    started = time.perf_counter()
    result = asyncio.run(run_load("127.0.0.1", port, requests, clients, seconds))
    wall = time.perf_counter() - started
    server_cores = (sum(_cpu_seconds(p) for p in pids) - server_before) / wall
    client_cores = (_cpu_seconds(os.getpid()) - client_before) / wall
    figures: dict[str, object] = dict(result.summary(_readings_in(bodies[0])))
    ok_per_s = float(figures["requests_per_s"])  # type: ignore[arg-type]
    figures |= {
        "server_cpu_cores": round(server_cores, 2),
        "loadgen_cpu_cores": round(client_cores, 2),
        "server_cpu_ms_per_request": round(server_cores * 1000 / ok_per_s, 2) if ok_per_s else None,
        "load_average_before": round(load_before, 2),
    }
    return figures


def _readings_in(body: bytes) -> int:
    value = orjson.loads(body)
    return len(value["metrics"]) if isinstance(value, dict) else len(value)


def bench_wearhouse(
    bodies: list[bytes], args: argparse.Namespace, workdir: Path
) -> dict[str, object]:
    """Throughput and latency of `wearhouse serve`, then a check that bronze holds what was acknowledged."""
    settings = Settings(home=workdir / "home")
    token, _ = TokenStore.for_settings(settings).create(Role.device)
    port = _free_port()
    env = {
        **os.environ,
        "WEARHOUSE_HOME": str(settings.home),
        "WEARHOUSE_INGEST__COMMIT_WINDOW_MS": str(args.window_ms),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "wearhouse.cli.main", "serve", "--port", str(port), "--workers", str(args.wearhouse_workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait(f"http://127.0.0.1:{port}/health")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        figures = load(
            port, "/v1/ingest/heart_rate", bodies, headers, args.clients, args.seconds, server.pid
        )
    finally:
        _stop(server)
    con = connect(settings, layers=("bronze",))
    [(rows,)] = con.execute("select count(*) from bronze.heart_rate").fetchall()
    [(commits,)] = con.execute(
        "select count(distinct _ingested_at) from bronze.heart_rate"
    ).fetchall()
    return {**figures, "bronze_records_after": rows, "bronze_commits": commits}


def bench_baseline_a(bodies: list[bytes], args: argparse.Namespace) -> dict[str, object]:
    """The same load against FastAPI + PostgreSQL COPY per request."""
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute("drop table if exists bench_heart_rate")
        conn.execute("create table bench_heart_rate (device_id text, ts timestamptz, bpm real)")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "pg_baseline_app:app", "--port", str(port),
         "--workers", str(args.workers), "--no-access-log", "--log-level", "warning"],
        cwd=Path(__file__).parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait(f"http://127.0.0.1:{port}/docs")
        figures = load(
            port,
            "/v1/ingest/heart_rate",
            bodies,
            {"Content-Type": "application/json"},
            args.clients,
            args.seconds,
            server.pid,
        )
    finally:
        _stop(server)
    with psycopg.connect(DSN) as conn:
        [(rows,)] = conn.execute("select count(*) from bench_heart_rate").fetchall()
    return {**figures, "postgres_rows_after": rows}


def bench_baseline_b(bodies: list[bytes], rows: int, workdir: Path) -> dict[str, object]:
    """PostgreSQL COPY of the same readings from a local CSV file."""
    csv_path = workdir / "readings.csv"
    written = 0
    with csv_path.open("w") as out:
        while written < rows:
            for body in bodies:
                for r in orjson.loads(body):
                    out.write(f"{r['device_id']},{r['ts']},{r['bpm']}\n")
                written += 1000
                if written >= rows:
                    break
    os.chmod(workdir, 0o755)
    os.chmod(csv_path, 0o644)
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute("drop table if exists bench_heart_rate_copy")
        conn.execute(
            "create table bench_heart_rate_copy (device_id text, ts timestamptz, bpm real)"
        )
        started = time.perf_counter()
        conn.execute(f"copy bench_heart_rate_copy from '{csv_path}' with (format csv)")
        seconds = time.perf_counter() - started
        [(count,)] = conn.execute("select count(*) from bench_heart_rate_copy").fetchall()
        conn.execute("drop table bench_heart_rate_copy")
    return {"rows": count, "seconds": round(seconds, 2), "rows_per_s": round(count / seconds)}


def _median_run(runs: list[dict[str, object]], key: str) -> dict[str, object]:
    """The run with the median `key` (an actual run, so its figures belong together), plus every
    run's `key` and p99 for the record."""
    ordered = sorted(runs, key=lambda run: float(run[key]))  # type: ignore[arg-type]
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    if len(runs) > 1:
        chosen["runs"] = [{k: run[k] for k in (key, "p99_ms") if k in run} for run in runs]
    return chosen


def main() -> None:
    """Run the measurements (each `--repeat` times, the median run kept), print and write them."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--batch", type=int, default=1000, help="readings per request")
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes of baseline (a)'s server"
    )
    parser.add_argument(
        "--wearhouse-workers",
        type=int,
        default=2,
        help="`wearhouse serve --workers`, as many as baseline (a) has by default: each worker "
        "parses on its own core and commits its own groups to the same bronze tables",
    )
    parser.add_argument("--window-ms", type=float, default=2, help="Wearhouse group-commit window")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement (median)")
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument(
        "--also-buckets",
        action="store_true",
        help="also measure Wearhouse with each request one bucket record of `batch` readings",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="wearhouse-bench-http-"))
    runs: dict[str, list[dict[str, object]]] = {}

    def measure(name: str, run: Callable[[int], dict[str, object]]) -> None:
        for attempt in range(args.repeat):
            runs.setdefault(name, []).append(run(attempt))
            print(name, json.dumps(runs[name][-1]), flush=True)

    try:
        bodies = make_bodies(400, args.batch)
        figures: dict[str, object] = {
            "setup": {"clients": args.clients, "batch": args.batch, "seconds": args.seconds,
                      "wearhouse_workers": args.wearhouse_workers, "baseline_workers": args.workers,
                      "window_ms": args.window_ms, "repeat": args.repeat, "cpus": os.cpu_count()},
        }  # fmt: skip
        measure("wearhouse", lambda i: bench_wearhouse(bodies, args, workdir / f"readings{i}"))
        if args.also_buckets:
            buckets = make_bodies(400, args.batch, shape="bucket")
            measure(
                "wearhouse_buckets", lambda i: bench_wearhouse(buckets, args, workdir / f"b{i}")
            )
        if not args.skip_baselines:
            measure("baseline_a_fastapi_postgres", lambda i: bench_baseline_a(bodies, args))
        for name, results in runs.items():
            figures[name] = _median_run(results, "readings_per_s")
        if not args.skip_baselines:
            copies = [bench_baseline_b(bodies, 5_000_000, workdir) for _ in range(args.repeat)]
            figures["baseline_b_postgres_copy_file"] = _median_run(copies, "rows_per_s")
            wh = figures["wearhouse"]["readings_per_s"]  # type: ignore[index]
            a = figures["baseline_a_fastapi_postgres"]["readings_per_s"]  # type: ignore[index]
            b = figures["baseline_b_postgres_copy_file"]["rows_per_s"]  # type: ignore[index]
            figures["ratios"] = {
                "wearhouse_over_baseline_a": round(wh / a, 2),
                "wearhouse_fraction_of_copy": round(wh / b, 3),
            }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest_http.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
