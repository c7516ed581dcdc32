"""Broker ingestion benchmark: publish -> `wearhouse consume` -> committed bronze, per broker.

    uv run python bench/consume.py --seconds 15
    uv run python bench/consume.py --seconds 15 --brokers nats --rate 300000
    uv run python bench/consume.py --kafka kafka://127.0.0.1:9092   # when a Kafka broker exists

For each broker a real `wearhouse consume --streams heart_rate` process runs on a fresh home while
this process publishes messages of 100 heart-rate readings at the offered rate (readings/s) for
`--seconds`, through the same publisher as `wearhouse simulate --broker`. Every reading carries its
message's publish time (ms) as `ts`; after the last one is in bronze, each reading's latency is the
time of the Delta commit that holds it minus that publish time. Reports messages/s and readings/s
from the first publish to the last commit, latency p50/p99/max (after a warm-up), and writes
bench/results/consume.json. Loopback only; every run is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from deltalake import DeltaTable

from wearhouse.lake.read import connect
from wearhouse.settings import Settings
from wearhouse.stream.backends import backend
from wearhouse.stream.config import BrokerUrl, StreamSettings

BROKERS = {
    "nats": "nats://127.0.0.1:4222",
    "redis": "redis://127.0.0.1:6379",
    "amqp": "amqp://guest:guest@127.0.0.1:5672/",
    "mqtt": "mqtt://127.0.0.1:1883",
}
PER_MESSAGE = 100
TICK_S = 0.02
WARMUP_S = 2.0
DRAIN_BUDGET_S = 90.0
RESULTS = Path(__file__).parent / "results" / "consume.json"


def body(number: int, at: float) -> bytes:
    """One message: 100 readings of 100 devices, stamped with the publish time (ms)."""
    ts = datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    base = (number % 50) * PER_MESSAGE
    return orjson.dumps(
        [
            {"device_id": f"b{base + i:05d}", "ts": ts, "bpm": 55 + (number + i) % 90}
            for i in range(PER_MESSAGE)
        ]
    )


async def publish_for(
    url: BrokerUrl, config: StreamSettings, rate: int, seconds: float
) -> dict[str, Any]:
    """Offer `rate` readings/s for `seconds` (open loop, in ticks); returns what was sent."""
    per_tick = max(1, round(rate / PER_MESSAGE * TICK_S))
    sent, lag = 0, 0.0
    async with backend(url).publishing(url, config, ["heart_rate"]) as publish:
        started = time.time()
        next_tick = time.monotonic()
        while time.time() - started < seconds:
            # Behind schedule (the broker confirms slower than offered), catch up a little at a
            # time: the achieved rate is what the report shows.
            due = min(int((time.time() - started) / TICK_S + 1) * per_tick, sent + 5 * per_tick)
            bodies = [body(n, time.time()) for n in range(sent, due)]
            await publish("heart_rate", bodies)
            sent = due
            next_tick += TICK_S
            lag = max(lag, -(next_tick - time.monotonic()))
            await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
        ended = time.time()
    return {
        "messages": sent,
        "first_publish": started,
        "last_publish": ended,
        "max_publisher_lag_s": round(lag, 3),
    }


def start_consumer(
    home: Path, url: str, config: StreamSettings
) -> tuple[subprocess.Popen[bytes], Path]:
    """`wearhouse consume` for heart_rate, once it logs that it is subscribed."""
    log_path = home / "consume.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEARHOUSE_")}
    env |= {
        "WEARHOUSE_HOME": str(home),
        "WEARHOUSE_STREAM__PREFIX": config.prefix,
        "WEARHOUSE_STREAM__GROUP": config.group,
        "WEARHOUSE_STREAM__CONSUMER": config.consumer,
    }
    script = Path(sys.executable).with_name("wearhouse")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "wearhouse.cli.main"]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [*command, "consume", "--broker", url, "--streams", "heart_rate"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while "consuming" not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"consume did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    return process, log_path


def bronze_rows(settings: Settings) -> int:
    con = connect(settings, layers=("bronze",))
    try:
        [(rows,)] = con.execute("select count(*) from bronze.heart_rate").fetchall()
        return int(rows)
    finally:
        con.close()


def commit_times(settings: Settings) -> dict[int, float]:
    """Epoch µs of each commit's `_ingested_at` -> the Delta commit's own time (s).

    One group commit is one Delta version with one `_ingested_at`, written in order by one
    committer task: the k-th distinct `_ingested_at` belongs to the k-th version after creation.
    """
    history = DeltaTable(str(settings.lake / "bronze" / "heart_rate")).history()
    versions = sorted((h["version"], h["timestamp"] / 1000) for h in history if h["version"] > 0)
    con = connect(settings, layers=("bronze",))
    try:
        stamps = [s for (s,) in con.execute(
            "select distinct epoch_us(_ingested_at) from bronze.heart_rate order by 1"
        ).fetchall()]  # fmt: skip
    finally:
        con.close()
    if len(stamps) != len(versions):
        raise RuntimeError(f"{len(stamps)} commits in the rows, {len(versions)} in the log")
    return {stamp: at for stamp, (_, at) in zip(stamps, versions, strict=True)}


def latencies(settings: Settings, since: float) -> tuple[list[float], float]:
    """Per-reading publish-to-commit latency (s), for readings published after `since`; last commit."""
    commits = commit_times(settings)
    con = connect(settings, layers=("bronze",))
    try:
        rows = con.execute(
            """
            select epoch_us(_ingested_at), epoch_ms(json_extract_string(payload, '$.ts')::timestamptz), count(*)
            from bronze.heart_rate group by all
            """
        ).fetchall()
    finally:
        con.close()
    values: list[float] = []
    for stamp, published_ms, count in rows:
        if published_ms / 1000 >= since:
            values += [commits[stamp] - published_ms / 1000] * count
    return sorted(values), max(commits.values())


def quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def run_broker(kind: str, url_text: str, rate: int, seconds: float) -> dict[str, Any]:
    url = BrokerUrl.parse(url_text)
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    config = StreamSettings(prefix=prefix, group=f"{prefix}-g", consumer=f"{prefix}-c")
    home = Path(tempfile.mkdtemp(prefix=f"wearhouse-bench-{kind}-"))
    settings = Settings(home=home)
    process, _ = start_consumer(home, url_text, config)
    try:
        sent = asyncio.run(publish_for(url, config, rate, seconds))
        expected = sent["messages"] * PER_MESSAGE
        deadline = time.monotonic() + DRAIN_BUDGET_S
        while (rows := bronze_rows(settings)) < expected and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        asyncio.run(backend(url).remove(url, config, ["heart_rate"]))
    values, last_commit = latencies(settings, sent["first_publish"] + WARMUP_S)
    span = last_commit - sent["first_publish"]
    result = {
        "offered_readings_per_s": rate,
        "messages_published": sent["messages"],
        "readings_published": expected,
        "readings_in_bronze": rows,
        "lost": expected - rows if rows < expected else 0,
        "publish_seconds": round(sent["last_publish"] - sent["first_publish"], 2),
        "publish_to_last_commit_s": round(span, 2),
        "messages_per_s": round(rows / PER_MESSAGE / span),
        "readings_per_s": round(rows / span),
        "latency_p50_ms": round(quantile(values, 0.50) * 1000, 1),
        "latency_p99_ms": round(quantile(values, 0.99) * 1000, 1),
        "latency_max_ms": round(values[-1] * 1000, 1) if values else None,
        "bronze_commits": len(commit_times(settings)),
        "achieved_publish_readings_per_s": round(
            expected / (sent["last_publish"] - sent["first_publish"])
        ),
        "max_publisher_lag_s": sent["max_publisher_lag_s"],
    }
    shutil.rmtree(home, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="publishing time per broker")
    parser.add_argument(
        "--rate", type=int, default=200_000, help="offered readings/s (100 per message)"
    )
    parser.add_argument(
        "--brokers", default=",".join(BROKERS), help="comma-separated: nats,redis,amqp,mqtt"
    )
    parser.add_argument(
        "--rates", default="", help="per-broker overrides, e.g. mqtt=50000,amqp=100000"
    )
    parser.add_argument(
        "--kafka", default=os.environ.get("WEARHOUSE_TEST_KAFKA", ""), help="a Kafka URL to include"
    )
    args = parser.parse_args()
    rates = {k: int(v) for k, v in (item.split("=") for item in args.rates.split(",") if item)}
    targets = {k: BROKERS[k] for k in args.brokers.split(",") if k}
    if args.kafka:
        targets["kafka"] = args.kafka
    results: dict[str, Any] = {
        "setup": {
            "seconds": args.seconds,
            "readings_per_message": PER_MESSAGE,
            "warmup_s": WARMUP_S,
            "cpus": os.cpu_count(),
            "command": " ".join(sys.argv),
        }
    }
    for kind, url in targets.items():
        rate = rates.get(kind, args.rate)
        print(f"{kind}: offering {rate:,} readings/s for {args.seconds:.0f} s ...", flush=True)
        results[kind] = run_broker(kind, url, rate, args.seconds)
        print(json.dumps(results[kind], indent=2), flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
