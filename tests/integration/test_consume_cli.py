"""`wearhouse consume` and `wearhouse simulate --broker` from the command line.

Bad options are refused with a message that says what to give; a simulated fleet published with
`simulate --broker` lands in bronze through a running `wearhouse consume`.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import orjson
import pytest
from consume_support import (
    BROKERS,
    ConsumerProcess,
    command,
    publish,
    remove,
    require_reachable,
    run_id,
    stream_settings,
)
from typer.testing import CliRunner

from wearhouse.cli.main import app
from wearhouse.contracts import STREAMS
from wearhouse.lake.read import connect
from wearhouse.settings import Settings, get_settings

pytestmark = pytest.mark.integration


def invoke(home: Path, *args: str) -> tuple[int, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(
        app, list(args), env={"WEARHOUSE_HOME": str(home), "COLUMNS": "200"}
    )
    get_settings.cache_clear()
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["consume", "--broker", "zmq://127.0.0.1:5555"], "must start with one of nats://"),
        (["consume", "--broker", "nats://127.0.0.1:4222", "--streams", "heartrate"], "unknown stream 'heartrate'"),
        (["consume", "--broker", "nats://127.0.0.1:4222", "--prefix", "a.b"], "invalid --prefix 'a.b': use 1 to 64 letters"),
        (["simulate", "--devices", "2"], "exactly one of --url"),
        (["simulate", "--url", "http://127.0.0.1:1", "--broker", "nats://127.0.0.1:4222"], "exactly one of --url"),
        (["simulate", "--broker", "kafkaa://127.0.0.1:9092"], "must start with one of nats://"),
    ],
)  # fmt: skip
def test_bad_options_are_refused_with_what_to_do(
    tmp_path: Path, args: list[str], says: str
) -> None:
    code, output = invoke(tmp_path, *args)
    assert code == 2, output
    assert says in " ".join(output.split()), output


def test_simulate_reports_an_unreachable_broker(tmp_path: Path) -> None:
    code, output = invoke(
        tmp_path, "simulate", "--broker", "redis://127.0.0.1:1", "--duration", "1"
    )
    assert code == 1
    assert "cannot publish to redis://127.0.0.1:1" in " ".join(output.split())


@pytest.mark.parametrize("kind", ["nats", "mqtt"])
def test_simulated_fleet_lands_in_bronze_through_consume(tmp_path: Path, kind: str) -> None:
    require_reachable(BROKERS[kind])
    config = stream_settings(run_id())
    consumer = ConsumerProcess(tmp_path, BROKERS[kind], config)
    try:
        consumer.start()  # first: an MQTT broker keeps messages only for a known session
        simulate = subprocess.run(
            [*command(), "simulate", "--broker", BROKERS[kind], "--devices", "3",
             "--rate", "150", "--duration", "2", "--prefix", config.prefix],
            env=consumer.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert simulate.returncode == 0, simulate.stderr + simulate.stdout
        match = re.search(r"Published ([\d,]+) readings", simulate.stdout)
        assert match, simulate.stdout
        sent = int(match.group(1).replace(",", ""))
        assert sent == 300  # 150 a second for 2 seconds
        settings = Settings(home=tmp_path)
        counts = wait_for_readings(settings, sent, consumer)
    finally:
        code = consumer.stop()
        remove(BROKERS[kind], config, list(STREAMS))
    assert code == 0, consumer.log()
    assert counts["heart_rate"] + counts["steps"] == sent
    assert counts["users"] >= 3 and counts["devices"] >= 3
    assert counts["_rejected"] == 0


def wait_for_readings(settings: Settings, sent: int, consumer: ConsumerProcess) -> dict[str, int]:
    """Bronze rows per table (all from this broker) once every reading has arrived."""
    deadline = time.monotonic() + 30
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        con = connect(settings, layers=("bronze",))
        try:
            counts = {
                name: int(
                    con.execute(f"select count(*) from bronze.{name.lstrip('_')}").fetchone()[0]
                )  # type: ignore[index]
                for name in ("users", "devices", "heart_rate", "steps", "_rejected")
            }
            sources = {
                s
                for (s,) in con.execute("select distinct _source from bronze.heart_rate").fetchall()
            }
        finally:
            con.close()
        if counts["heart_rate"] + counts["steps"] >= sent:
            assert sources == {consumer.kind}
            return counts
        time.sleep(0.3)
    raise AssertionError(
        f"bronze holds {counts} after 30 s, {sent} readings sent:\n{consumer.log()}"
    )


def test_payloads_keep_what_the_device_sent(tmp_path: Path) -> None:
    """A reading published as one JSON object is stored as that object, not re-shaped."""
    require_reachable(BROKERS["redis"])
    config = stream_settings(run_id())
    reading = {"device_id": "cli-d1", "ts": "2026-11-01T10:00:00+02:00", "bpm": 61, "confidence": 2}
    consumer = ConsumerProcess(tmp_path, BROKERS["redis"], config, ["heart_rate"])
    try:
        publish(BROKERS["redis"], config, [("heart_rate", orjson.dumps(reading))])
        consumer.start()  # Redis groups start at the stream's first entry: nothing is skipped
        settings = Settings(home=tmp_path)
        wait_for_readings(settings, 1, consumer)
    finally:
        consumer.stop()
        remove(BROKERS["redis"], config, ["heart_rate"])
    con = connect(settings, layers=("bronze",))
    try:
        [(payload,)] = con.execute("select payload from bronze.heart_rate").fetchall()
    finally:
        con.close()
    assert orjson.loads(payload) == reading
