"""HTTP ingestion benchmark: Wearhouse against the usual FastAPI + PostgreSQL stack, and COPY.

    uv run python bench/ingest_http.py --seconds 30 --clients 32 --batch 1000

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
    port: int, path: str, bodies: list[bytes], headers: dict[str, str], clients: int, seconds: float
) -> dict[str, float | int]:
    """Warm up for 2 s, then measure."""
    requests = [build_request(path, body, headers) for body in bodies]
    asyncio.run(run_load("127.0.0.1", port, requests, clients, 2))
    result = asyncio.run(run_load("127.0.0.1", port, requests, clients, seconds))
    return result.summary(_readings_in(bodies[0]))


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
        [sys.executable, "-m", "wearhouse.cli.main", "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait(f"http://127.0.0.1:{port}/health")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        figures = load(port, "/v1/ingest/heart_rate", bodies, headers, args.clients, args.seconds)
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


def main() -> None:
    """Run the three measurements and print and write the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--batch", type=int, default=1000, help="readings per request")
    parser.add_argument(
        "--workers", type=int, default=2, help="server worker processes (both stacks)"
    )
    parser.add_argument("--window-ms", type=float, default=10, help="Wearhouse group-commit window")
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument(
        "--also-buckets",
        action="store_true",
        help="also measure Wearhouse with each request one bucket record of `batch` readings",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="wearhouse-bench-http-"))
    try:
        bodies = make_bodies(400, args.batch)
        figures: dict[str, object] = {
            "setup": {"clients": args.clients, "batch": args.batch, "seconds": args.seconds,
                      "workers": args.workers, "window_ms": args.window_ms, "cpus": os.cpu_count()},
        }  # fmt: skip
        figures["wearhouse"] = bench_wearhouse(bodies, args, workdir / "readings")
        print(json.dumps(figures["wearhouse"]), flush=True)
        if args.also_buckets:
            buckets = make_bodies(400, args.batch, shape="bucket")
            figures["wearhouse_buckets"] = bench_wearhouse(buckets, args, workdir / "buckets")
            print(json.dumps(figures["wearhouse_buckets"]), flush=True)
        if not args.skip_baselines:
            figures["baseline_a_fastapi_postgres"] = bench_baseline_a(bodies, args)
            print(json.dumps(figures["baseline_a_fastapi_postgres"]), flush=True)
            figures["baseline_b_postgres_copy_file"] = bench_baseline_b(bodies, 5_000_000, workdir)
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
