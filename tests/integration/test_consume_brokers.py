"""A fleet published to NATS JetStream, Redis, RabbitMQ and MQTT reaches bronze and silver as sent.

One real `wearhouse consume` process per broker consumes the same small synthetic fleet (its ids
tagged with the broker's name, so the fleets never collide), with poison messages mixed into the
streams. The same fleet tagged `file` goes through file ingestion as the reference. One transform
then builds silver for all of them, and each broker's silver must equal the reference's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import pytest
from consume_support import (
    BROKERS,
    ConsumerProcess,
    Poison,
    Records,
    canonical,
    census,
    fleet,
    poison_for,
    publish_with_poison,
    remove,
    require_reachable,
    run_id,
    same_json,
    stream_settings,
)

from wearhouse.contracts import STREAMS
from wearhouse.ingest.writer import BronzeWriter
from wearhouse.lake.read import connect, read_table
from wearhouse.settings import Settings
from wearhouse.stream.config import BrokerUrl, StreamSettings
from wearhouse.transform.service import transform

pytestmark = pytest.mark.integration

KINDS = tuple(BROKERS)
REFERENCE = "file"
ARRIVAL_BUDGET_S = 60.0


@dataclass
class Sent:
    """What was published to one broker: the good records per stream and the poison messages."""

    records: Records
    poison: list[Poison] = field(default_factory=list)


@dataclass
class Outcome:
    """The lake after the run, and what each broker was sent."""

    settings: Settings
    sent: dict[str, Sent]
    exit_codes: dict[str, int | None]
    logs: dict[str, str]
    tables: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def rows(self, layer: str, name: str) -> list[dict[str, Any]]:
        """Every row of a lake table, read once per module."""
        if (layer, name) not in self.tables:
            self.tables[layer, name] = read_table(layer, name, self.settings).to_pylist()
        return self.tables[layer, name]


def epoch(value: Any) -> int:
    """Epoch seconds of a record's timestamp (epoch seconds or ISO 8601)."""
    if isinstance(value, int | float):
        return int(value)
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def where(kind: str, config: StreamSettings, stream: str) -> str:
    """How reasons name a broker's subject (`nats subject wh....heart_rate`)."""
    url = BrokerUrl.parse(BROKERS[kind])
    return url.where(url.address(config.prefix, stream))


def xadd_without_data(config: StreamSettings) -> Poison:
    """An entry that a third-party producer wrote to Redis without the `data` field."""
    import redis

    key = BrokerUrl.parse(BROKERS["redis"]).address(config.prefix, "gym_visits")
    client = redis.Redis.from_url(BROKERS["redis"])
    try:
        client.xadd(key, {"body": b'{"mac_address": "x"}'})
    finally:
        client.close()
    payload = canonical({"body": '{"mac_address": "x"}'})
    reason = f"{where('redis', config, 'gym_visits')}: the entry has no `data` field"
    return Poison("gym_visits", b"", payload, reason)


def expected_bronze(settings: Settings, sent: dict[str, Sent]) -> dict[str, int]:
    """Rows each bronze table must end with: every record once, every poison message once."""
    counts = {s: sum(len(x.records[s]) for x in sent.values()) for s in STREAMS}
    counts["_rejected"] = sum(len(x.poison) for x in sent.values())
    return counts


def bronze_counts(settings: Settings) -> dict[str, int]:
    """Rows in each bronze table now."""
    con = connect(settings, layers=("bronze",))
    try:
        return {
            name: con.execute(f"select count(*) from bronze.{name.lstrip('_')}").fetchone()[0]  # type: ignore[index]
            for name in [*STREAMS, "_rejected"]
        }
    finally:
        con.close()


def wait_for_bronze(
    settings: Settings, expected: dict[str, int], consumers: list[ConsumerProcess]
) -> None:
    """Poll bronze until it holds what was sent (bounded in time)."""
    deadline = time.monotonic() + ARRIVAL_BUDGET_S
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        counts = bronze_counts(settings)
        if counts == expected:
            return
        time.sleep(0.3)
    logs = "\n".join(c.log(tail=1500) for c in consumers)
    raise AssertionError(f"bronze holds {counts}, expected {expected}\n{logs}")


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    for kind in KINDS:
        require_reachable(BROKERS[kind])
    home = tmp_path_factory.mktemp("consume-brokers")
    settings = Settings(home=home)
    config = stream_settings(run_id())
    consumers = {kind: ConsumerProcess(home / kind, BROKERS[kind], config) for kind in KINDS}
    for consumer in consumers.values():  # every consumer writes the same lake: one home
        consumer.env["WEARHOUSE_HOME"] = str(home)
    sent: dict[str, Sent] = {}
    try:
        for consumer in consumers.values():
            consumer.launch()
        for consumer in consumers.values():  # MQTT keeps messages only for a known session
            consumer.wait_ready()
        for kind in KINDS:
            records = fleet(kind)
            good = records["heart_rate"][-1]  # travels inside the mixed poison message
            poison = poison_for(BROKERS[kind], kind, config, good)
            regular = {**records, "heart_rate": records["heart_rate"][:-1]}
            publish_with_poison(BROKERS[kind], config, regular, poison)
            if kind == "redis":
                poison.append(xadd_without_data(config))
            sent[kind] = Sent(records, poison)
        reference = fleet(REFERENCE)
        with BronzeWriter("file:fleet", settings) as writer:
            for stream, items in reference.items():
                for number, record in enumerate(items):
                    writer.add(stream, orjson.dumps(record), file="fleet", position=str(number))
        expected = expected_bronze(settings, sent)
        for stream, items in reference.items():
            expected[stream] += len(items)
        wait_for_bronze(settings, expected, list(consumers.values()))
        codes = {kind: c.stop() for kind, c in consumers.items()}
        result = transform(settings)
        assert not {"error", "fail"} & set(result.dbt.statuses.values()), result.dbt.failures
        yield Outcome(settings, sent, codes, {k: c.log() for k, c in consumers.items()})
    finally:
        for consumer in consumers.values():
            consumer.stop()
        for kind in KINDS:
            remove(BROKERS[kind], config, list(STREAMS))


@pytest.mark.parametrize("kind", KINDS)
def test_bronze_holds_every_published_record_once(outcome: Outcome, kind: str) -> None:
    for stream in STREAMS:
        rows = [r for r in outcome.rows("bronze", stream) if r["_source"] == kind]
        sent = [orjson.dumps(r).decode() for r in outcome.sent[kind].records[stream]]
        assert census([r["payload"] for r in rows]) == census(sent), stream
        assert {r["_stream"] for r in rows} <= {stream}


def _silver_rows(outcome: Outcome, table: str, tag: str) -> list[str]:
    """A silver table's rows of one tagged fleet, tag and lineage columns removed, canonical."""
    rows = []
    for row in outcome.rows("silver", table):
        values = {k: v for k, v in row.items() if not k.startswith("_") and k != "source"}
        if not any(isinstance(v, str) and v.startswith(f"{tag}-") for v in values.values()):
            continue
        rows.append(canonical({k: _untag(v, tag) for k, v in values.items()}))
    return sorted(rows)


def _untag(value: Any, tag: str) -> Any:
    if isinstance(value, str) and value.startswith(f"{tag}-"):
        return value.removeprefix(f"{tag}-")
    return value if isinstance(value, str | int | float | bool | None) else str(value)


SILVER = (
    "users",
    "devices",
    "heart_rate",
    "steps",
    "sleep_sessions",
    "workout_sessions",
    "gym_visits",
)


@pytest.mark.parametrize("kind", KINDS)
def test_silver_equals_the_reference_ingested_from_files(outcome: Outcome, kind: str) -> None:
    for table in SILVER:
        mine, reference = (
            _silver_rows(outcome, table, kind),
            _silver_rows(outcome, table, REFERENCE),
        )
        assert reference, f"the reference fleet has no silver.{table} rows: the test proves nothing"
        assert len(mine) == len(reference), table
        assert mine == reference, table


@pytest.mark.parametrize("kind", KINDS)
def test_silver_readings_are_the_published_readings(outcome: Outcome, kind: str) -> None:
    con = connect(outcome.settings, layers=("silver",))
    try:
        for stream, value in (("heart_rate", "bpm"), ("steps", "steps")):
            silver = con.execute(
                f"select device_id, epoch(ts)::bigint, {value}::double from silver.{stream} where device_id like ?",
                [f"{kind}-%"],
            ).fetchall()
            published = {
                (record["device_id"], epoch(metric["ts"]), float(metric[value]))
                for record in outcome.sent[kind].records[stream]
                for metric in record.get("metrics", [record])
            }
            assert len(silver) == len(published), stream
            assert set(silver) == published, stream
    finally:
        con.close()


@pytest.mark.parametrize("kind", KINDS)
def test_poison_is_quarantined_with_broker_subject_and_reason(outcome: Outcome, kind: str) -> None:
    quarantine = outcome.rows("silver", "quarantine")
    mine = [r for r in quarantine if r["source"] == kind]
    for poison in outcome.sent[kind].poison:
        found = [
            r for r in mine
            if r["stream"] == poison.stream and r["reason"].startswith(poison.reason)
        ]  # fmt: skip
        assert len(found) == 1, f"{poison} is not quarantined once: {mine}"
        assert same_json(found[0]["payload"], poison.payload), found[0]
    assert len(mine) == len(outcome.sent[kind].poison), mine


@pytest.mark.parametrize("kind", KINDS)
def test_good_records_beside_poison_arrive(outcome: Outcome, kind: str) -> None:
    mixed = outcome.sent[kind].poison[4]
    good = orjson.loads(mixed.body)[0]
    rows = outcome.rows("bronze", "heart_rate")
    assert [r for r in rows if r["_source"] == kind and orjson.loads(r["payload"]) == good]


def test_consumers_stop_cleanly_on_sigterm(outcome: Outcome) -> None:
    assert outcome.exit_codes == dict.fromkeys(KINDS, 0), outcome.logs
    for kind, log in outcome.logs.items():
        assert "Traceback" not in log, f"{kind}:\n{log}"
