"""A broker that is down, then goes away mid-stream: the consumer logs, retries, never exits.

The consumer reaches the broker through a TCP proxy on 127.0.0.1 that the test takes down and
brings back (a real `wearhouse consume` process; the brokers themselves keep running, so
messages published meanwhile wait on the broker). Nothing published before, during or after the
outages is lost.
"""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from consume_support import (
    BROKERS,
    ConsumerProcess,
    Outage,
    publish,
    remove,
    require_reachable,
    run_id,
    stream_settings,
)

from wearhouse.lake.read import connect
from wearhouse.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KINDS = ("nats", "mqtt", "redis")
PER_BATCH = 30
WAIT_S = 45.0


def batch(kind: str, number: int) -> list[tuple[str, bytes]]:
    """Messages of one batch: PER_BATCH readings, one per message."""
    start = 1_790_000_000 + number * PER_BATCH
    return [
        ("heart_rate", orjson.dumps({"device_id": f"{kind}-dout", "ts": start + n, "bpm": 70}))
        for n in range(PER_BATCH)
    ]


def readings(settings: Settings) -> tuple[int, int]:
    """(rows, distinct readings) in bronze heart_rate."""
    con = connect(settings, layers=("bronze",))
    try:
        [(rows, distinct)] = con.execute(
            "select count(*), count(distinct payload) from bronze.heart_rate"
        ).fetchall()
        return int(rows), int(distinct)
    finally:
        con.close()


def wait_until(what: str, check: object, consumer: ConsumerProcess) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        assert consumer.process is not None and consumer.process.poll() is None, consumer.log()
        time.sleep(0.2)
    raise AssertionError(f"{what} within {WAIT_S}s:\n{consumer.log(tail=3000)}")


@pytest.mark.parametrize("kind", KINDS)
def test_consumer_waits_out_a_down_broker_and_an_outage(tmp_path: Path, kind: str) -> None:
    require_reachable(BROKERS[kind])
    settings = Settings(home=tmp_path)
    config = stream_settings(run_id())
    outage = Outage(BROKERS[kind])
    consumer = ConsumerProcess(tmp_path, outage.url, config, ["heart_rate"])
    try:
        consumer.launch()  # the broker is unreachable: the consumer must wait, not exit
        wait_until("no retry logged", lambda: "retrying in" in consumer.log(), consumer)
        outage.up()
        consumer.wait_ready()
        publish(BROKERS[kind], config, batch(kind, 0))
        wait_until("batch 0 not in bronze", lambda: readings(settings)[1] == PER_BATCH, consumer)

        outage.down()  # mid-stream: messages published now wait on the broker
        publish(BROKERS[kind], config, batch(kind, 1))
        time.sleep(2)
        assert consumer.process is not None and consumer.process.poll() is None, consumer.log()
        assert readings(settings)[1] == PER_BATCH, "records arrived through a dead connection"
        outage.up()
        wait_until(
            "batch 1 not in bronze", lambda: readings(settings)[1] == 2 * PER_BATCH, consumer
        )
    finally:
        outage.down()
        code = consumer.stop()
        remove(BROKERS[kind], config, ["heart_rate"])
    assert code == 0, consumer.log()
    log = consumer.log()
    assert f"cannot reach {kind}://" in log
    rows, distinct = readings(settings)
    assert distinct == 2 * PER_BATCH and rows >= distinct
    print(f"\n{kind} outage log:\n" + "\n".join(line[:200] for line in log.splitlines()[:12]))
