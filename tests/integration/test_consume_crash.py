"""SIGKILL `wearhouse consume` mid-stream and restart it: silver holds every reading exactly once.

For each broker a publisher sends numbered heart-rate readings at a steady pace while the
consumer, a real `wearhouse consume` process, is killed with SIGKILL twice, each time right after
one of its bronze commits (records durable, acknowledgements perhaps not sent), and restarted.
Messages it had not acknowledged come back (JetStream after its ack wait, Redis from the
consumer's pending list, RabbitMQ and MQTT when the connection drops); bronze may hold some twice,
and silver must hold every reading exactly once. The brokers run side by side on one lake.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from consume_support import (
    BROKERS,
    ConsumerProcess,
    remove,
    require_reachable,
    run_id,
    stream_settings,
)

from wearhouse.contracts import STREAMS
from wearhouse.lake.read import connect
from wearhouse.settings import Settings
from wearhouse.stream.backends import backend
from wearhouse.stream.config import BrokerUrl, StreamSettings
from wearhouse.transform.service import transform

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KINDS = tuple(BROKERS)
MESSAGES = 300
PER_MESSAGE = 20
PACE_S = 0.02  # between messages: the stream lasts about six seconds
ACK_WAIT_S = 2.0  # JetStream redelivers after this; production keeps the 60 s default
DRAIN_BUDGET_S = 60.0
START = int(time.time()) // 60 * 60 - 2 * 86400


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bpm_of(n: int) -> int:
    return 40 + (n * 37) % 150


def message(kind: str, number: int) -> bytes:
    """Readings number*20 .. number*20+19 of the broker's device, one second apart."""
    first = number * PER_MESSAGE
    return orjson.dumps(
        [
            {"device_id": f"{kind}-dcrash", "ts": iso(START + n), "bpm": bpm_of(n)}
            for n in range(first, first + PER_MESSAGE)
        ]
    )


STREAMS_USED = ["users", "devices", "heart_rate"]


def profiles(kind: str) -> list[tuple[str, bytes]]:
    user = {"user_id": f"{kind}-ucrash", "op": "create", "updated_at": iso(START - 86400)}
    device = {"device_id": f"{kind}-dcrash", "user_id": f"{kind}-ucrash"}
    return [("users", orjson.dumps(user)), ("devices", orjson.dumps(device))]


def commits(settings: Settings) -> int:
    log = settings.lake / "bronze" / "heart_rate" / "_delta_log"
    return sum(1 for name in os.listdir(log) if name.endswith(".json"))


GATES = (75, 285)
"""The publisher holds at these messages until kill 0 (then kill 1) has happened."""


@dataclass
class Scenario:
    """One broker's run: publish while killing and restarting its consumer."""

    kind: str
    consumer: ConsumerProcess
    config: StreamSettings
    settings: Settings
    published: int = 0
    kills: int = 0
    bronze_at_kill: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def _publish(self) -> None:
        url = BrokerUrl.parse(BROKERS[self.kind])
        async with backend(url).publishing(url, self.config, STREAMS_USED) as send:
            for stream, body in profiles(self.kind):
                await send(stream, [body])
            for number in range(MESSAGES):
                held = time.monotonic() + DRAIN_BUDGET_S
                while number in GATES[self.kills :] and time.monotonic() < held:
                    await asyncio.sleep(0.01)  # the killer has not struck yet: hold the stream
                await send("heart_rate", [message(self.kind, number)])
                self.published = number + 1
                await asyncio.sleep(PACE_S)

    def publish_all(self) -> None:
        try:
            asyncio.run(self._publish())
        except Exception as exc:  # reported by the test, not lost in a thread
            self.errors.append(f"publisher: {exc!r}")

    def run(self) -> None:
        """Publish in a thread; kill right after a commit and restart, twice; drain."""
        publisher = threading.Thread(target=self.publish_all)
        publisher.start()
        total = MESSAGES * PER_MESSAGE
        try:
            for k in range(len(GATES)):
                if k == 0:  # early, while messages are still being sent and committed
                    while self.published < GATES[0] - 15:
                        time.sleep(0.005)
                else:  # once the restarted process has committed readings of its own
                    progress = self.bronze_at_kill[-1] + 10 * PER_MESSAGE
                    while distinct_readings(self.settings, self.kind) < progress:
                        time.sleep(0.1)
                seen, give_up = commits(self.settings), time.monotonic() + 2
                while commits(self.settings) == seen and time.monotonic() < give_up:
                    time.sleep(0.001)
                self.consumer.kill()
                self.kills += 1  # the publisher goes on while the consumer is down
                self.bronze_at_kill.append(distinct_readings(self.settings, self.kind))
                self.consumer.start()
        except Exception as exc:
            self.errors.append(f"killer: {exc!r}")
        finally:
            self.kills = len(GATES)
            publisher.join()
        deadline = time.monotonic() + DRAIN_BUDGET_S
        while time.monotonic() < deadline:
            if distinct_readings(self.settings, self.kind) == total:
                return
            time.sleep(0.3)
        self.errors.append(f"bronze never held every reading:\n{self.consumer.log(tail=3000)}")


def distinct_readings(settings: Settings, kind: str) -> int:
    con = connect(settings, layers=("bronze",))
    try:
        [(n,)] = con.execute(
            "select count(distinct payload) from bronze.heart_rate where _source = ?", [kind]
        ).fetchall()
        return int(n)
    finally:
        con.close()


@dataclass
class Outcome:
    settings: Settings
    scenarios: dict[str, Scenario]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    for kind in KINDS:
        require_reachable(BROKERS[kind])
    home: Path = tmp_path_factory.mktemp("consume-crash")
    settings = Settings(home=home)
    config = stream_settings(run_id())
    scenarios = {}
    for kind in KINDS:
        consumer = ConsumerProcess(
            home / kind, BROKERS[kind], config, ["users", "devices", "heart_rate"]
        )
        consumer.env |= {
            "WEARHOUSE_HOME": str(home),
            "WEARHOUSE_STREAM__ACK_WAIT_S": str(ACK_WAIT_S),
        }
        scenarios[kind] = Scenario(kind, consumer, config, settings)
    try:
        for scenario in scenarios.values():
            scenario.consumer.launch()
        for scenario in scenarios.values():
            scenario.consumer.wait_ready()
        threads = [threading.Thread(target=s.run) for s in scenarios.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for scenario in scenarios.values():
            scenario.consumer.stop()
        for kind in KINDS:
            remove(BROKERS[kind], config, list(STREAMS))
    result = transform(settings)
    assert not {"error", "fail"} & set(result.dbt.statuses.values()), result.dbt.failures
    return Outcome(settings, scenarios)


@pytest.mark.parametrize("kind", KINDS)
def test_every_reading_once_in_silver_after_sigkills(outcome: Outcome, kind: str) -> None:
    scenario = outcome.scenarios[kind]
    assert scenario.errors == [], scenario.errors
    assert scenario.consumer.starts == len(GATES) + 1
    total = MESSAGES * PER_MESSAGE
    con = connect(outcome.settings)
    try:
        silver = con.execute(
            "select epoch(ts)::bigint, bpm from silver.heart_rate where device_id = ?",
            [f"{kind}-dcrash"],
        ).fetchall()
        bronze = con.execute(
            "select payload from bronze.heart_rate where _source = ?", [kind]
        ).fetchall()
    finally:
        con.close()
    copies = Counter(orjson.loads(p)["ts"] for (p,) in bronze)
    print(
        f"\n{kind}: {total} readings in {MESSAGES} messages, kills at {scenario.bronze_at_kill} "
        f"readings in bronze; bronze rows {sum(copies.values())} "
        f"({sum(c - 1 for c in copies.values())} redelivered duplicates); silver rows {len(silver)}"
    )
    # Each kill landed mid-stream (the publisher holds at the gates until it has).
    assert all(0 < rows < total for rows in scenario.bronze_at_kill), scenario.bronze_at_kill
    expected = {START + n: float(bpm_of(n)) for n in range(total)}
    assert len(silver) == total, "silver does not hold every reading exactly once"
    assert dict(silver) == expected
