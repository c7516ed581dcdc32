"""Kafka through the same FastStream consumer: a fleet with poison, a SIGKILL, bronze at least once.

No Kafka broker runs on the development and CI machines, so this runs only when
WEARHOUSE_TEST_KAFKA names a reachable one (e.g. kafka://127.0.0.1:9092) and skips saying so
otherwise. It is the brokers test of NATS, Redis, RabbitMQ and MQTT, checked on bronze.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import orjson
import pytest
from consume_support import (
    ConsumerProcess,
    census,
    fleet,
    poison_for,
    publish_with_poison,
    remove,
    run_id,
    same_json,
    stream_settings,
)

from wearhouse.contracts import STREAMS
from wearhouse.lake.read import read_table
from wearhouse.settings import Settings
from wearhouse.stream.config import BrokerUrl

KAFKA = os.environ.get("WEARHOUSE_TEST_KAFKA", "")
ARRIVAL_BUDGET_S = 90.0


def _unavailable() -> str | None:
    if not KAFKA:
        return (
            "WEARHOUSE_TEST_KAFKA is not set: no Kafka broker runs on this machine "
            "(set it to kafka://host:9092 to run this test)"
        )
    url = BrokerUrl.parse(KAFKA)
    try:
        socket.create_connection((url.host, url.port), timeout=3).close()
    except OSError as exc:
        return f"WEARHOUSE_TEST_KAFKA={KAFKA} is not reachable ({exc})"
    return None


pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(_unavailable() is not None, reason=_unavailable() or ""),
]


def test_kafka_fleet_with_poison_and_a_sigkill_reaches_bronze(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    config = stream_settings(run_id())
    records = fleet("kafka")
    good = records["heart_rate"][-1]
    poison = poison_for(KAFKA, "kafka", config, good)
    regular = {**records, "heart_rate": records["heart_rate"][:-1]}
    consumer = ConsumerProcess(tmp_path, KAFKA, config)
    try:
        consumer.start()
        publish_with_poison(KAFKA, config, regular, poison)
        deadline = time.monotonic() + ARRIVAL_BUDGET_S
        while not read_table("bronze", "heart_rate", settings).num_rows:
            assert time.monotonic() < deadline, consumer.log()
            time.sleep(0.2)
        consumer.kill()  # offsets of batches not yet committed to bronze are replayed
        consumer.start()
        expected = sum(len(items) for items in records.values())
        while _distinct_payloads(settings) < expected:
            assert time.monotonic() < deadline, consumer.log(tail=3000)
            time.sleep(0.5)
        assert consumer.stop() == 0, consumer.log()
    finally:
        consumer.stop()
        remove(KAFKA, config, list(STREAMS))
    for stream in STREAMS:
        rows = read_table("bronze", stream, settings).to_pylist()
        distinct = sorted({r["payload"] for r in rows})
        sent = [orjson.dumps(r).decode() for r in records[stream]]
        assert census(distinct) == census(sent), stream
        assert {r["_source"] for r in rows} <= {"kafka"}
    rejected = read_table("bronze", "_rejected", settings).to_pylist()
    for item in poison:
        found = [r for r in rejected if r["reason"].startswith(item.reason)]
        assert found and same_json(found[0]["payload"], item.payload), item


def _distinct_payloads(settings: Settings) -> int:
    return sum(
        len({r["payload"] for r in read_table("bronze", s, settings).to_pylist()}) for s in STREAMS
    )
