"""Acknowledged means durable, and retries with the same key never double-count, across SIGKILLs.

Client threads post batches of heart-rate readings, each with its own Idempotency-Key, and retry
every batch that was not acknowledged (connection lost, 503) with the same key. Meanwhile the
server is killed with SIGKILL several times in the middle of the stream and restarted on the same
port and home. Afterwards every acknowledged reading is in bronze, and silver holds every sent
reading exactly once.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_server import ServerProcess, make_token

from wearhouse.auth.tokens import Role
from wearhouse.lake.read import connect, read_table
from wearhouse.settings import Settings
from wearhouse.transform.service import transform

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BATCHES = 300
PER_BATCH = 50
CLIENTS = 4
KILLS = 4
BAD_EVERY = 10  # every 10th batch also carries one invalid record, at index PER_BATCH
POSTING_BUDGET_S = 60.0
DEVICE = "dcrash01"
USER = "ucrash01"
START = int(time.time()) // 60 * 60 - 2 * 86400


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bpm_of(n: int) -> int:
    return 40 + (n * 37) % 150


def batch_records(batch: int) -> list[dict[str, Any]]:
    """Readings batch*50 .. batch*50+49, one second apart, plus an invalid record sometimes."""
    first = batch * PER_BATCH
    records: list[dict[str, Any]] = [
        {"device_id": DEVICE, "ts": iso(START + n), "bpm": bpm_of(n)}
        for n in range(first, first + PER_BATCH)
    ]
    if batch % BAD_EVERY == 0:
        records.append(
            {"device_id": DEVICE, "ts": iso(START + first), "bpm": "fast", "batch": batch}
        )
    return records


@dataclass
class Batch:
    """One batch's journey: how many attempts, when the last one began, the answer it got."""

    attempts: int = 0
    last_attempt_at: float = 0.0
    answer: dict[str, Any] | None = None
    failures: Counter[str] = field(default_factory=Counter)


@dataclass
class Run:
    """Shared state of the client threads and the killer."""

    server: ServerProcess
    token: str
    deadline: float
    batches: list[Batch] = field(default_factory=lambda: [Batch() for _ in range(BATCHES)])
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_batch: int = 0
    acked: int = 0
    kills: int = 0
    acked_at_kill: list[int] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def take(self) -> int | None:
        with self.lock:
            if self.next_batch >= BATCHES:
                return None
            self.next_batch += 1
            return self.next_batch - 1


def post_until_acknowledged(run: Run, client: httpx.Client, number: int) -> None:
    batch = run.batches[number]
    body = json.dumps(batch_records(number))
    headers = {"Idempotency-Key": f"crash-batch-{number}", "Content-Type": "application/json"}
    while time.monotonic() < run.deadline:
        batch.attempts += 1
        batch.last_attempt_at = time.time()
        try:
            response = client.post("/v1/ingest/heart_rate", content=body, headers=headers)
        except httpx.TransportError as exc:
            batch.failures[type(exc).__name__] += 1
            time.sleep(0.05)
            continue
        if response.status_code == 503:
            batch.failures["503"] += 1
            time.sleep(min(float(response.headers.get("retry-after", 1)), 0.5))
            continue
        if response.status_code != 202:
            run.unexpected.append(f"batch {number}: {response.status_code} {response.text}")
            return
        batch.answer = response.json()
        with run.lock:
            run.acked += 1
        return


def client_loop(run: Run) -> None:
    headers = {"Authorization": f"Bearer {run.token}"}
    timeout = httpx.Timeout(15.0, connect=2.0)
    with httpx.Client(base_url=run.server.base_url, headers=headers, timeout=timeout) as client:
        while (number := run.take()) is not None:
            post_until_acknowledged(run, client, number)


def commits(log: Path) -> int:
    return sum(1 for name in os.listdir(log) if name.endswith(".json"))


def kill_loop(run: Run) -> None:
    """Kill at evenly spread points of progress (60, 120, ... batches acknowledged).

    Progress rather than a clock decides, so every kill lands while batches are in flight however
    fast the machine is (here the server lives about a second between kills). Each kill follows a
    new bronze commit as closely as it can: alternately one to heart_rate (records committed, the
    answer not sent yet) and one to _rejected (a group's rejects committed, its records not yet).
    """
    bronze = run.server.home / "lake" / "bronze"
    try:
        for k in range(KILLS):
            target = BATCHES * (k + 1) // (KILLS + 1)
            while run.acked < target:
                if run.done.is_set():
                    return
                time.sleep(0.005)
            log = bronze / ("heart_rate" if k % 2 == 0 else "_rejected") / "_delta_log"
            seen = commits(log)
            give_up = time.monotonic() + 2
            while commits(log) == seen and time.monotonic() < give_up:
                pass
            run.server.kill()
            run.acked_at_kill.append(run.acked)
            run.kills += 1
            run.server.start()
    except Exception as exc:  # reported by the test, not lost in a thread
        run.unexpected.append(f"killer: {exc!r}")


def post_one(server: ServerProcess, token: str, stream: str, record: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    response = httpx.post(f"{server.base_url}/v1/ingest/{stream}", json=record, headers=headers)
    assert response.status_code == 202, response.text


def drive(run: Run) -> float:
    """Post every batch from the client threads while the killer works; the seconds it took."""
    started = time.monotonic()
    clients = [threading.Thread(target=client_loop, args=(run,)) for _ in range(CLIENTS)]
    killer = threading.Thread(target=kill_loop, args=(run,))
    for thread in [*clients, killer]:
        thread.start()
    for thread in clients:
        thread.join()
    run.done.set()
    killer.join()
    return time.monotonic() - started


def register_device(server: ServerProcess, token: str) -> None:
    user = {"user_id": USER, "op": "create", "updated_at": iso(START - 86400), "dob": "1990-01-01"}
    post_one(server, token, "users", user)
    device = {"device_id": DEVICE, "user_id": USER, "registered_at": iso(START - 3600)}
    post_one(server, token, "devices", device)


@dataclass
class Census:
    """What bronze holds of the run: copies of each reading, batch ids, first commit times."""

    copies: Counter[int] = field(default_factory=Counter)
    batch_ids: defaultdict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    first_commit: dict[int, float] = field(default_factory=dict)
    rejected: int = 0

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.copies.values())


def census(settings: Settings) -> Census:
    found = Census()
    number_of = {iso(START + n): n for n in range(BATCHES * PER_BATCH)}
    for row in read_table("bronze", "heart_rate", settings).to_pylist():
        payload = json.loads(row["payload"])
        if payload.get("device_id") != DEVICE:
            continue
        n = number_of[payload["ts"]]
        assert payload["bpm"] == bpm_of(n)
        batch, at = n // PER_BATCH, row["_ingested_at"].timestamp()
        found.copies[n] += 1
        found.batch_ids[batch].add(row["_batch_id"])
        found.first_commit[batch] = min(at, found.first_commit.get(batch, at))
    rejected = read_table("bronze", "_rejected", settings).to_pylist()
    found.rejected = sum(1 for row in rejected if DEVICE in row["payload"])
    return found


def silver_rows(settings: Settings) -> tuple[list[tuple[int, float]], list[tuple[str, str]]]:
    """(epoch seconds, bpm) of silver.heart_rate and (payload, reason) of silver.quarantine."""
    con = connect(settings)
    try:
        readings = con.execute(
            "select epoch(ts)::bigint, bpm from silver.heart_rate where device_id = ?", [DEVICE]
        ).fetchall()
        quarantined = con.execute(
            "select payload, reason from silver.quarantine"
            " where stream = 'heart_rate' and payload like ?",
            [f"%{DEVICE}%"],
        ).fetchall()
    finally:
        con.close()
    return readings, quarantined


def test_acknowledged_batches_survive_sigkill_and_count_once(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    token = make_token(tmp_path, Role.device)
    server = ServerProcess(tmp_path)
    server.start()
    run = Run(server, token, deadline=time.monotonic() + POSTING_BUDGET_S)
    try:
        posting_s = drive(run)
        register_device(server, token)
    finally:
        run.done.set()
        server.stop()

    # Every batch acknowledged, with the answer its content calls for, despite the kills.
    assert run.unexpected == [], run.unexpected[:5]
    unacknowledged = [n for n, b in enumerate(run.batches) if b.answer is None]
    assert unacknowledged == [], f"{len(unacknowledged)} batches unacknowledged after retries"
    assert run.kills == KILLS, f"only {run.kills} kills: the stream ended first"
    for number, batch in enumerate(run.batches):
        bad = 1 if number % BAD_EVERY == 0 else 0
        assert batch.answer is not None
        assert (batch.answer["accepted"], batch.answer["rejected"]) == (PER_BATCH, bad), number
        assert [e["index"] for e in batch.answer["errors"]] == [PER_BATCH] * bad
    retried = [n for n, b in enumerate(run.batches) if b.attempts > 1]
    assert retried, "no batch needed a retry: the kills interrupted nothing"

    # Bronze: every acknowledged reading at least once.
    bronze = census(settings)
    missing = [n for n in range(BATCHES * PER_BATCH) if bronze.copies[n] == 0]
    assert missing == [], f"{len(missing)} acknowledged readings not in bronze: {missing[:5]}"
    bad_records = len(range(0, BATCHES, BAD_EVERY))
    assert bronze.rejected >= bad_records

    result = transform(settings)
    assert not {"error", "fail"} & set(result.dbt.statuses.values()), result.dbt.failures
    readings, quarantined = silver_rows(settings)

    # A retried batch whose rows were committed before its last attempt began was committed by an
    # earlier attempt whose answer the kill swallowed: that retry was answered from its key.
    replayed = [n for n in retried if bronze.first_commit[n] < run.batches[n].last_attempt_at]
    failures = sum((b.failures for b in run.batches), Counter())
    extra = sum(b.attempts for b in run.batches) - BATCHES
    print(
        f"\ncrash test: {BATCHES} batches x {PER_BATCH} readings from {CLIENTS} clients, "
        f"{run.kills} SIGKILLs (at {run.acked_at_kill} acknowledged batches), {posting_s:.1f}s\n"
        f"  retried batches: {len(retried)} ({extra} extra attempts: {dict(failures)})\n"
        f"  retries answered from a key committed before the kill: {len(replayed)}\n"
        f"  bronze heart_rate rows: {sum(bronze.copies.values())}, duplicate readings: "
        f"{bronze.duplicates} (in {sum(len(i) > 1 for i in bronze.batch_ids.values())} batches); "
        f"bronze _rejected rows: {bronze.rejected} for {bad_records} invalid records\n"
        f"  silver.heart_rate rows: {len(readings)}; silver.quarantine rows: {len(quarantined)}"
    )

    # Silver: every sent reading exactly once, with its value.
    expected = {START + n: float(bpm_of(n)) for n in range(BATCHES * PER_BATCH)}
    assert len(readings) == len(expected), "silver does not hold every reading exactly once"
    assert dict(readings) == expected
    # Every invalid record is quarantined once, however often a retry wrote it to bronze.
    assert sorted(json.loads(payload)["batch"] for payload, _ in quarantined) == list(
        range(0, BATCHES, BAD_EVERY)
    )
    for _, reason in quarantined:
        assert reason.startswith(f"POST /v1/ingest/heart_rate record {PER_BATCH}: bpm")
