"""The live feed shared through Redis: two `wearhouse serve` processes and a `wearhouse consume`.

Both API processes serve one home and one Redis channel (unique per run, so parallel runs on the
same Redis never meet). A reading committed by either process, or by a broker consumer, reaches
the clients of both; alerts are evaluated by one process only, so each client gets each alert once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from consume_support import BROKERS, ConsumerProcess, publish, remove, require_reachable, run_id
from consume_support import stream_settings as broker_settings
from http_server import ServerProcess, free_port, make_token
from live_support import at, feed, hello, is_reading, post, receive, series, until, write_gold
from websockets.sync.client import ClientConnection

from wearhouse.auth.tokens import Role

pytestmark = pytest.mark.integration

REDIS = BROKERS["redis"]


@dataclass(frozen=True)
class Pair:
    """Two API processes sharing a feed, their environment and tokens."""

    a: ServerProcess
    b: ServerProcess
    home: Path
    env: dict[str, str]
    admin: str
    device: str


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    require_reachable(REDIS)
    home = tmp_path_factory.mktemp("live-redis") / "home"
    write_gold(home)
    env = {
        "WEARHOUSE_SERVE__REDIS_URL": f"{REDIS}/0",
        "WEARHOUSE_SERVE__LIVE_CHANNEL": f"wearhouse-test:{uuid.uuid4().hex}",
    }
    admin, device = make_token(home, Role.admin), make_token(home, Role.device)
    with ServerProcess(home, env=env) as a, ServerProcess(home, env=env) as b:
        yield Pair(a, b, home, env, admin, device)


def test_a_reading_posted_to_one_process_reaches_clients_of_both(pair: Pair) -> None:
    with (
        feed(pair.b, pair.admin, device_id="d1") as on_b,
        feed(pair.a, pair.admin, device_id="d1") as on_a,
    ):
        assert hello(on_b)["backend"] == "redis"
        hello(on_a)
        post(pair.a, pair.device, "heart_rate", {"device_id": "d1", "ts": at(0), "bpm": 70})
        from_b, from_a = receive(on_b), receive(on_a)
    assert (from_b["device_id"], from_b["user_id"], from_b["bpm"]) == ("d1", "u1", 70)
    assert from_a == from_b


def test_registrations_reach_every_process(pair: Pair) -> None:
    post(pair.b, pair.device, "devices", {"device_id": "r1", "user_id": "u7"})
    with feed(pair.a, pair.admin, device_id="r1") as on_a:
        hello(on_a)
        post(pair.b, pair.device, "steps", {"device_id": "r1", "ts": at(10), "steps": 5})
        frame = receive(on_a)
    assert (frame["stream"], frame["user_id"], frame["steps"]) == ("steps", "u7", 5)


def test_each_client_gets_each_alert_once(pair: Pair) -> None:
    sustained = series("d1", [150] * 20 + [90], offset=100)  # u1's high limit is 143
    with (
        feed(pair.a, pair.admin, device_id="d1") as on_a,
        feed(pair.b, pair.admin, device_id="d1") as on_b,
    ):
        hello(on_a), hello(on_b)
        post(pair.b, pair.device, "heart_rate", sustained[:10])
        post(pair.a, pair.device, "heart_rate", sustained[10:])
        last = is_reading("d1", sustained[-1]["ts"])
        # the alert may trail the readings by one hop through Redis: wait for it too
        seen = {
            name: until(ws, last, timeout=20) + _alerts_after(ws)
            for name, ws in (("a", on_a), ("b", on_b))
        }
    for name, frames in seen.items():
        alerts = [f for f in frames if f["type"] == "alert" and f["kind"] == "heart_rate_high"]
        assert len(alerts) == 1, (name, alerts)
        assert (alerts[0]["since"], alerts[0]["ts"], alerts[0]["limit"]) == (at(100), at(160), 143)


def _alerts_after(ws: ClientConnection) -> list[dict[str, Any]]:
    """Frames arriving within 2 s more (alerts published after the last reading)."""
    frames = []
    try:
        while True:
            frames.append(receive(ws, timeout=2))
    except TimeoutError:
        return frames


def test_broker_consumer_readings_reach_the_feed(pair: Pair) -> None:
    url = BROKERS["nats"]
    require_reachable(url)
    config = broker_settings(run_id())
    consumer = ConsumerProcess(pair.home, url, config, streams=["heart_rate"])
    consumer.env |= pair.env
    try:
        consumer.start()
        with feed(pair.b, pair.admin, device_id="d2") as on_b:
            hello(on_b)
            reading = {"device_id": "d2", "ts": at(200), "bpm": 77}
            publish(url, config, [("heart_rate", orjson.dumps([reading]))])
            frame = receive(on_b, timeout=30)
        assert (frame["device_id"], frame["user_id"], frame["bpm"]) == ("d2", "u2", 77)
        assert frame["ts"] == at(200)
    finally:
        consumer.stop()
        remove(url, config, ["heart_rate"])


def test_ingestion_goes_on_when_redis_is_unreachable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    admin, device = make_token(home, Role.admin), make_token(home, Role.device)
    with ServerProcess(home, env={"WEARHOUSE_SERVE__REDIS_URL": nowhere}) as server:
        with feed(server, admin) as ws:
            assert hello(ws)["backend"] == "redis"
            answer = post(server, device, "heart_rate", {"device_id": "x", "ts": at(0), "bpm": 70})
            assert answer.json()["accepted"] == 1
        log = server.log()
    assert "check that Redis is running and WEARHOUSE_SERVE__REDIS_URL is right" in log
