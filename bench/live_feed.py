"""Live-feed latency: from the HTTP 202 of a reading to its frame on each WebSocket client.

    uv run python bench/serve.py --live-only --live-clients 10 --live-rate 50 --live-seconds 15

A poster sends one heart-rate reading per request at a steady rate; `clients` WebSockets on
/v1/live (admin, no filter) record when each reading's frame arrives. Latency is the arrival time
minus the time the poster got the 202 (one clock: both run in this process), for every reading
on every client. Two set-ups:
  in-process  one `wearhouse serve`, posts and WebSockets on it
  redis       two `wearhouse serve` sharing a Redis channel: posts to A, WebSockets on B
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import connect

from wearhouse.auth.tokens import Role, TokenStore
from wearhouse.settings import Settings

REDIS_URL = os.environ.get("WEARHOUSE_BENCH_REDIS", "redis://127.0.0.1:6379/0")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A `wearhouse serve` child process."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        full = {k: v for k, v in os.environ.items() if not k.startswith("WEARHOUSE_")}
        full |= {"WEARHOUSE_HOME": str(home), **env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wearhouse.cli.main", "serve", "--port", str(self.port)],
            env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"wearhouse serve on port {self.port} did not come up")

    def stop(self) -> None:
        """SIGINT, then SIGKILL after 15 s."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


async def _watch(
    port: int,
    token: str,
    arrivals: dict[str, list[float]],
    ready: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    async with connect(f"ws://127.0.0.1:{port}/v1/live?token={token}&kinds=reading") as ws:
        await ws.recv()  # hello
        ready.set()
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            now = time.perf_counter()
            frame = orjson.loads(text)
            if frame.get("type") == "reading":
                arrivals.setdefault(frame["device_id"] + frame["ts"], []).append(now)


async def _post(
    port: int, token: str, rate: float, seconds: float, acks: dict[str, float]
) -> dict[int, int]:
    statuses: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    run = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:

        async def one(n: int) -> None:
            device = f"bench-{run}-{n % 20}"
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_700_000_000 + n)) + "+00:00"
            body = orjson.dumps({"device_id": device, "ts": ts, "bpm": 60 + n % 40})
            answer = await http.post("/v1/ingest/heart_rate", content=body)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            if answer.status_code == 202:
                acks[device + ts] = time.perf_counter()

        tasks = []
        started = time.perf_counter()
        total = int(rate * seconds)
        for n in range(total):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return statuses


async def _measure(
    post_port: int,
    watch_port: int,
    tokens: dict[str, str],
    clients: int,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    arrivals: list[dict[str, list[float]]] = [{} for _ in range(clients)]
    readies = [asyncio.Event() for _ in range(clients)]
    stop = asyncio.Event()
    watchers = [
        asyncio.create_task(_watch(watch_port, tokens["admin"], arrivals[i], readies[i], stop))
        for i in range(clients)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
    acks: dict[str, float] = {}
    statuses = await _post(post_port, tokens["device"], rate, seconds, acks)
    await asyncio.sleep(2)  # let the last frames arrive
    stop.set()
    await asyncio.gather(*watchers)
    latencies = [
        (arrived - acks[key]) * 1000
        for seen in arrivals
        for key, times in seen.items()
        if key in acks
        for arrived in times
    ]
    expected = len(acks) * clients
    ordered = sorted(latencies) or [0.0]
    return {
        "readings_acknowledged": len(acks),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "frames_expected": expected,
        "frames_received": len(latencies),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "max_ms": round(ordered[-1], 2),
        "min_ms": round(ordered[0], 2),
    }


def bench_live(work: Path, clients: int, rate: float, seconds: float) -> dict[str, Any]:
    """Latency from 202 to frame, in-process and through Redis; figures per set-up."""
    home = work / "live-home"
    store = TokenStore.for_settings(Settings(home=home))
    tokens = {"admin": store.create(Role.admin)[0], "device": store.create(Role.device)[0]}
    figures: dict[str, Any] = {"clients": clients, "rate_per_s": rate, "seconds": seconds}
    server = Server(home, {})
    try:
        figures["in_process"] = asyncio.run(
            _measure(server.port, server.port, tokens, clients, rate, seconds)
        )
    finally:
        server.stop()
    shared = {
        "WEARHOUSE_SERVE__REDIS_URL": REDIS_URL,
        "WEARHOUSE_SERVE__LIVE_CHANNEL": f"wearhouse-bench:{uuid.uuid4().hex}",
    }
    a = Server(home, shared)
    try:
        b = Server(home, shared)
        try:
            figures["redis"] = asyncio.run(_measure(a.port, b.port, tokens, clients, rate, seconds))
        finally:
            b.stop()
    finally:
        a.stop()
    return figures
