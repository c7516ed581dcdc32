"""CPU cost of the HTTP ingest request path, in-process, stage by stage.

    uv run python bench/ingest_path.py [--repeat 7] [--requests 2000] [--stages parse,commit,app]

Uses the bodies of bench/ingest_http.py (JSON arrays of 1,000 heart-rate readings, and one bucket
of 1,000 readings per body) and measures, each as the median of `repeat` runs:
  parse    parsing and checking one body (`wearhouse.ingest.http_records.parse`): CPU per body
  commit   one group commit of 50,000 payloads to a bronze table (`bronze.append`): CPU of every
           thread of the process (delta-rs encodes Parquet on its own threads), wall time, and
           the Parquet bytes it added
  app      POST /v1/ingest/heart_rate through the ASGI app (token check, fast route, parsing,
           group commit, answer) from 32 concurrent callers, without an HTTP server: CPU of the
           process per request
and writes bench/results/ingest_path.json. CPU time is the figure to compare: wall time moves with
whatever else runs on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from ingest_http import make_bodies

from wearhouse.ingest.http_records import parse
from wearhouse.lake import bronze
from wearhouse.lake.paths import table_path
from wearhouse.settings import Settings


def _median_cpu(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median process CPU seconds and wall seconds of `run` over `repeat` calls."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        run()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def bench_parse(bodies: list[bytes], repeat: int) -> dict[str, float]:
    """CPU and wall milliseconds to parse and check one body."""

    def run() -> None:
        for body in bodies:
            parse("heart_rate", body, "application/json", "bench")

    cpu, wall = _median_cpu(run, repeat)
    return {
        "cpu_ms_per_body": round(cpu * 1000 / len(bodies), 3),
        "wall_ms_per_body": round(wall * 1000 / len(bodies), 3),
    }


def _parquet_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*.parquet"))


def bench_commit(payloads: list[str], repeat: int, home: Path) -> dict[str, float]:
    """One bronze commit of `payloads` (about one group commit under load)."""
    settings = Settings(home=home)
    bronze.ensure_tables(settings)
    path = table_path("bronze", "heart_rate", settings)
    ids = ["b" * 32] * len(payloads)
    bronze.append("heart_rate", payloads, source="http", batch_id=ids, settings=settings)
    before = _parquet_bytes(path)

    def run() -> None:
        bronze.append("heart_rate", payloads, source="http", batch_id=ids, settings=settings)

    cpu, wall = _median_cpu(run, repeat)
    return {
        "rows": len(payloads),
        "cpu_ms": round(cpu * 1000, 2),
        "wall_ms": round(wall * 1000, 2),
        "parquet_bytes_per_commit": (_parquet_bytes(path) - before) // repeat,
        "payload_bytes": sum(len(p) for p in payloads),
    }


async def _post_all(app: Any, bodies: list[bytes], requests: int, clients: int) -> list[int]:
    """Drive the ASGI app directly: `clients` callers post `requests` bodies in all."""
    statuses: list[int] = []
    counter = iter(range(requests))

    async def one(body: bytes) -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/v1/ingest/heart_rate", "raw_path": b"/v1/ingest/heart_rate",
            "root_path": "", "query_string": b"", "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 5000),
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())],
        }  # fmt: skip
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(scope, receive, send)

    async def client() -> None:
        for i in counter:
            await one(bodies[i % len(bodies)])

    await asyncio.gather(*(client() for _ in range(clients)))
    return statuses


def _thread_cpu() -> dict[str, float]:
    """CPU seconds so far of this process's threads, summed by thread kind (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    main = threading.main_thread().native_id
    kinds: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            comm = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        kind = "event_loop" if int(task.name) == main else _KINDS.get(comm[:6], "other")
        kinds[kind] = kinds.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return kinds


# By thread name: Python's other threads (the commit thread, a compaction) carry the interpreter's
# name; delta-rs and DataFusion run on tokio worker threads.
_KINDS = {"python": "python_threads", "tokio-": "delta_rs"}


def bench_app(bodies: list[bytes], requests: int, repeat: int, home: Path) -> dict[str, Any]:
    """CPU per request of the whole app behind the HTTP server, from 32 concurrent callers."""
    from wearhouse.ingest.app import create_app

    async def main() -> list[tuple[float, float, dict[str, float]]]:
        app = create_app(Settings(home=home), no_auth=True)
        results = []
        async with app.router.lifespan_context(app):
            await _post_all(app, bodies, 200, 32)  # warm up: tables open, first compactions
            for _ in range(repeat):
                c0, w0, t0 = time.process_time(), time.perf_counter(), _thread_cpu()
                statuses = await _post_all(app, bodies, requests, 32)
                t1 = _thread_cpu()
                threads = {k: v - t0.get(k, 0.0) for k, v in t1.items()}
                results.append((time.process_time() - c0, time.perf_counter() - w0, threads))
                assert set(statuses) == {202}, set(statuses)
        return results

    results = asyncio.run(main())
    cpu = statistics.median(c for c, _, _ in results)
    wall = statistics.median(w for _, w, _ in results)
    kinds = sorted({k for _, _, t in results for k in t})
    return {
        "requests": requests,
        "cpu_ms_per_request": round(cpu * 1000 / requests, 3),
        "thread_cpu_ms_per_request": {
            k: round(statistics.median(t.get(k, 0.0) for _, _, t in results) * 1000 / requests, 3)
            for k in kinds
        },
        "requests_per_s_wall": round(requests / wall),
    }


def main() -> None:
    """Measure each stage, print and write the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--requests", type=int, default=2000, help="requests per app run")
    parser.add_argument(
        "--stages", default="parse,commit,app", help="comma-separated: parse, commit, app"
    )
    args = parser.parse_args()
    stages = set(args.stages.split(","))
    readings = make_bodies(200, 1000)
    figures: dict[str, object] = {}
    if "parse" in stages:
        figures["parse_readings"] = bench_parse(readings, args.repeat)
        figures["parse_buckets"] = bench_parse(make_bodies(200, 1000, "bucket"), args.repeat)
        print("parse", json.dumps(figures), flush=True)
    payloads = [p for body in readings[:50] for p in parse("heart_rate", body, None, "b").payloads]
    with tempfile.TemporaryDirectory(prefix="wearhouse-bench-path-") as tmp:
        if "commit" in stages:
            figures["commit_50k"] = bench_commit(payloads, args.repeat, Path(tmp) / "commit")
            print("commit", json.dumps(figures["commit_50k"]), flush=True)
        if "app" in stages:
            figures["app"] = bench_app(readings, args.requests, 3, Path(tmp) / "app")
            print("app", json.dumps(figures["app"]), flush=True)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest_path.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
