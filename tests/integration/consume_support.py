"""Support for the broker tests: a real `wearhouse consume` child process, brokers, a tagged fleet.

Every test run uses its own name prefix and group (unique subjects, stream keys, queues, topics,
JetStream stream, MQTT session) and removes them afterwards, so runs never see each other's data.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from wearhouse.stream.backends import backend
from wearhouse.stream.config import BrokerUrl, StreamSettings
from wearhouse.synth.config import FleetConfig
from wearhouse.synth.writer import FILES, write_fleet

BROKERS = {
    "nats": os.environ.get("WEARHOUSE_TEST_NATS", "nats://127.0.0.1:4222"),
    "redis": os.environ.get("WEARHOUSE_TEST_REDIS", "redis://127.0.0.1:6379"),
    "amqp": os.environ.get("WEARHOUSE_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/"),
    "mqtt": os.environ.get("WEARHOUSE_TEST_MQTT", "mqtt://127.0.0.1:1883"),
}
"""The brokers every development and CI machine runs on 127.0.0.1 (env overrides for others)."""

ID_KEYS = ("user_id", "device_id", "mac_address")
Records = dict[str, list[dict[str, Any]]]


def run_id() -> str:
    """A fresh prefix for names on the brokers: unique per test run."""
    return f"wht{uuid.uuid4().hex[:10]}"


def stream_settings(prefix: str) -> StreamSettings:
    """Settings naming everything on the brokers after `prefix` (group and consumer too)."""
    return StreamSettings(prefix=prefix, group=f"{prefix}-g", consumer=f"{prefix}-c")


def require_reachable(url: str) -> None:
    """Fail (not skip) with what to do when a broker every machine should run is down."""
    parsed = BrokerUrl.parse(url)
    try:
        socket.create_connection((parsed.host, parsed.port), timeout=2).close()
    except OSError as exc:
        raise AssertionError(
            f"{parsed.kind} is not reachable at {parsed.safe} ({exc}): start it (see .ci/run) "
            f"or point WEARHOUSE_TEST_{parsed.kind.upper()} at one"
        ) from None


def remove(url: str, config: StreamSettings, streams: Sequence[str]) -> None:
    """Delete what the run created on the broker (streams, keys, queues, sessions)."""
    parsed = BrokerUrl.parse(url)
    asyncio.run(backend(parsed).remove(parsed, config, streams))


def publish(url: str, config: StreamSettings, messages: Sequence[tuple[str, bytes]]) -> None:
    """Publish (stream, body) messages in order, each stream's in one call of the real publisher."""
    parsed = BrokerUrl.parse(url)
    streams = list(dict.fromkeys(stream for stream, _ in messages))

    async def run() -> None:
        async with backend(parsed).publishing(parsed, config, streams) as send:
            for stream in streams:
                await send(stream, [body for s, body in messages if s == stream])

    asyncio.run(run())


def fleet(tag: str, seed: int = 5) -> Records:
    """One day of a small synthetic fleet, every id prefixed `<tag>-` so fleets never collide."""
    folder = Path(tempfile.mkdtemp(prefix="wearhouse-fleet-"))
    config = FleetConfig(
        users=3, days=1, hr_interval_s=60, seed=seed, start=date.today() - timedelta(days=3)
    )
    try:
        write_fleet(config, folder)
        records: Records = {}
        for stream, name in FILES.items():
            data = (folder / name).read_bytes()
            items = (
                orjson.loads(data)
                if name.endswith(".json")
                else [orjson.loads(line) for line in data.splitlines()]
            )
            records[stream] = [_tagged(item, tag) for item in items]
        return records
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _tagged(record: dict[str, Any], tag: str) -> dict[str, Any]:
    return {k: f"{tag}-{v}" if k in ID_KEYS and v is not None else v for k, v in record.items()}


def messages_of(records: Records, sizes: Sequence[int] = (1, 7, 25)) -> list[tuple[str, bytes]]:
    """The fleet as broker messages: single records and JSON arrays of several sizes, in turn."""
    out: list[tuple[str, bytes]] = []
    for stream, items in records.items():
        start, turn = 0, 0
        while start < len(items):
            size = sizes[turn % len(sizes)]
            chunk = items[start : start + size]
            out.append((stream, orjson.dumps(chunk[0] if size == 1 else chunk)))
            start, turn = start + size, turn + 1
    return out


def canonical(record: Any) -> str:
    """A record's JSON text with sorted keys: what comparisons of payloads use."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS).decode()


def census(payloads: Sequence[str]) -> tuple[int, str]:
    """Count and an order-independent checksum of a multiset of JSON payloads."""
    texts = sorted(canonical(orjson.loads(p)) for p in payloads)
    return len(texts), hashlib.sha256("\n".join(texts).encode()).hexdigest()


@dataclass(frozen=True)
class Poison:
    """A message that must be quarantined: its stream, body, payload kept and reason's start."""

    stream: str
    body: bytes
    payload: str
    reason: str


def poison_for(url: str, tag: str, config: StreamSettings, good: dict[str, Any]) -> list[Poison]:
    """Unreadable messages, a record of the wrong shape, and a bad record beside a good one."""
    parsed = BrokerUrl.parse(url)
    bad = {"device_id": f"{tag}-d00001", "ts": "2026-01-01T00:00:00Z", "bpm": "fast"}
    orphan = {"device_id": f"{tag}-orphan"}
    broken = f'{{"device_id": "{tag}-broken'
    cases = [
        ("heart_rate", broken.encode(), broken, ": the message is not valid JSON ("),
        ("steps", b"", "", ": the message is empty"),
        ("devices", orjson.dumps([orphan]), canonical(orphan), " record 0: user_id: Field required"),
        ("workouts", b"42", "42", " record 0: not a JSON object"),
        ("heart_rate", orjson.dumps([good, bad]), canonical(bad), " record 1: bpm: Input should be"),
    ]  # fmt: skip
    return [
        Poison(stream, body, payload, parsed.where(parsed.address(config.prefix, stream)) + reason)
        for stream, body, payload, reason in cases
    ]


def publish_with_poison(
    url: str, config: StreamSettings, records: Records, poison: Sequence[Poison]
) -> None:
    """The fleet's messages with each poison message mixed in after its stream's first ones."""
    messages = messages_of(records)
    for number, item in enumerate(poison):
        first = next(i for i, (stream, _) in enumerate(messages) if stream == item.stream)
        messages.insert(first + 1 + number, (item.stream, item.body))
    publish(url, config, messages)


def same_json(kept: str, expected: str) -> bool:
    """Whether two payloads hold the same JSON (or, if not JSON, the same text)."""
    try:
        return canonical(orjson.loads(kept)) == canonical(orjson.loads(expected))
    except orjson.JSONDecodeError:
        return kept == expected


def command() -> list[str]:
    """How to run `wearhouse` from this environment."""
    script = Path(sys.executable).with_name("wearhouse")
    found = str(script) if script.exists() else shutil.which("wearhouse")
    return [found] if found else [sys.executable, "-m", "wearhouse.cli.main"]


class ConsumerProcess:
    """`wearhouse consume` for one broker and home; its output goes to <home>/consume-<kind>.log."""

    def __init__(self, home: Path, url: str, config: StreamSettings, streams: Sequence[str] = ()):
        self.home, self.url, self.config = home, url, config
        self.kind = BrokerUrl.parse(url).kind
        self.log_path = home / f"consume-{self.kind}.log"
        self.args = ["consume", "--broker", url]
        if streams:
            self.args += ["--streams", ",".join(streams)]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WEARHOUSE_")}
        self.env |= {
            "WEARHOUSE_HOME": str(home),
            "WEARHOUSE_STREAM__PREFIX": config.prefix,
            "WEARHOUSE_STREAM__GROUP": config.group,
            "WEARHOUSE_STREAM__CONSUMER": config.consumer,
            "WEARHOUSE_STREAM__CLAIM_IDLE_S": str(config.claim_idle_s),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def launch(self) -> None:
        """Start the process without waiting for it to subscribe."""
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command() + self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.starts += 1

    def wait_ready(self, timeout: float = 45.0) -> None:
        """Return once this start has logged that it consumes (it is subscribed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log().count("INFO wearhouse.stream.service: consuming ") >= self.starts:
                return
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"consume exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise TimeoutError(f"consume did not subscribe within {timeout}s:\n{self.log()}")

    def start(self) -> None:
        """Start and wait until subscribed."""
        self.launch()
        self.wait_ready()

    def kill(self) -> None:
        """SIGKILL: nothing is flushed, acknowledged or committed on the way out."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> int | None:
        """SIGTERM and wait for the graceful exit; returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        code, self.process = self.process.returncode, None
        return code

    def log(self, tail: int | None = None) -> str:
        """The process's output (the end of it with `tail`)."""
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace")
        return text[-tail:] if tail else text

    def __enter__(self) -> ConsumerProcess:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


class Outage:
    """A TCP proxy on 127.0.0.1 in front of a broker, to cut the consumer off and let it back.

    `down()` closes the listener and every proxied connection (what a broker restart or a
    network cut looks like to the client); `up()` listens again on the same port.
    """

    def __init__(self, target_url: str) -> None:
        target = BrokerUrl.parse(target_url)
        self.target = (target.host, target.port)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = target_url.replace(f":{target.port}", f":{self.port}", 1)
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        """Accept and forward connections."""
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Stop listening and cut every connection."""
        listener, self._listener = self._listener, None
        if listener is not None:  # shutdown wakes the thread blocked in accept(); close alone won't
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by down()
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)
