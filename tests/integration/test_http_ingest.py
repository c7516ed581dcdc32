"""The ingestion service over real HTTP: `wearhouse serve` in a child process, bronze on Delta.

Every answer is checked with its exact status and its JSON body, and every acknowledged record is
looked for in bronze right after the answer (acknowledged means durable).
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from http_server import ServerProcess, make_token
from prometheus_client.parser import text_string_to_metric_families

from wearhouse.auth.tokens import Role
from wearhouse.contracts import STREAMS
from wearhouse.contracts.examples import EXAMPLES
from wearhouse.ingest.records import check
from wearhouse.lake.read import read_table
from wearhouse.settings import Settings

pytestmark = pytest.mark.integration

BODY_LIMIT = 64 * 1024
SLOW_QUEUE = 10
INGEST = "/v1/ingest/{}"


@dataclass(frozen=True)
class Served:
    """The module's server, its home and a token of each role."""

    server: ServerProcess
    settings: Settings
    tokens: dict[Role, str]

    def client(self, role: Role | None = Role.device) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.server.base_url, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("http-ingest")
    tokens = {role: make_token(home, role, user_id="u0001") for role in Role}
    env = {"WEARHOUSE_INGEST__MAX_BODY_BYTES": str(BODY_LIMIT)}
    with ServerProcess(home, env=env) as server:
        yield Served(server, Settings(home=home), tokens)


@pytest.fixture
def device(served: Served) -> Iterator[httpx.Client]:
    with served.client(Role.device) as client:
        yield client


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server whose requests wait a whole second for their commit, with room for 10 records:
    long enough that concurrent requests certainly meet in the queue."""
    home = tmp_path_factory.mktemp("http-slow-commits")
    tokens = {Role.device: make_token(home, Role.device)}
    env = {
        "WEARHOUSE_INGEST__MAX_QUEUED_RECORDS": str(SLOW_QUEUE),
        "WEARHOUSE_INGEST__COMMIT_WINDOW_MS": "1000",
    }
    with ServerProcess(home, env=env) as server:
        yield Served(server, Settings(home=home), tokens)


def new_device() -> str:
    """A device id no other test uses, so each test finds exactly its own rows in bronze."""
    return f"d-{uuid.uuid4().hex[:10]}"


def reading(device_id: str, second: int, bpm: float = 70) -> dict[str, Any]:
    return {
        "device_id": device_id,
        "ts": f"2026-10-02T07:{second // 60:02d}:{second % 60:02d}Z",
        "bpm": bpm,
    }


def bronze_rows(settings: Settings, name: str, marker: str) -> list[dict[str, Any]]:
    """Rows of a bronze table whose payload mentions `marker` (a test's own device id)."""
    rows = read_table("bronze", name, settings).to_pylist()
    return [row for row in rows if marker in row["payload"]]


def assert_error(response: httpx.Response, status: int, code: str, *hints: str) -> dict[str, Any]:
    """The answer is JSON with the error code and a message naming what to fix."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code, body
    for hint in hints:
        assert hint in body["message"], (hint, body["message"])
    return body


# --- accepted and rejected records -------------------------------------------------------------


def test_health_says_bronze_is_writable(device: httpx.Client) -> None:
    response = device.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "bronze_writable": True, "queued_records": 0}


def test_mixed_batch_commits_the_valid_and_keeps_the_invalid(
    served: Served, device: httpx.Client
) -> None:
    dev = new_device()
    records = [
        reading(dev, 0),
        {**reading(dev, 1), "ts": "yesterday"},
        reading(dev, 2, bpm=81.5),
        {"ts": "2026-10-02T07:00:03Z", "bpm": 70, "note": dev},
        reading(dev, 4),
    ]
    response = device.post(INGEST.format("heart_rate"), json=records)

    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (3, 2)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "ts"), (3, "device_id")]
    assert "yesterday" in body["errors"][0]["message"]
    assert "device_id" in body["errors"][1]["message"]
    # Committed before the answer: bronze holds the valid records right now.
    kept = bronze_rows(served.settings, "heart_rate", dev)
    assert sorted(json.loads(row["payload"])["ts"] for row in kept) == [
        "2026-10-02T07:00:00Z",
        "2026-10-02T07:00:02Z",
        "2026-10-02T07:00:04Z",
    ]
    assert {row["_stream"] for row in kept} == {"heart_rate"}
    assert {row["_source"] for row in kept} == {"http"}
    assert len({row["_batch_id"] for row in kept}) == 1
    rejected = bronze_rows(served.settings, "_rejected", dev)
    reasons = sorted(row["reason"] for row in rejected)
    assert len(reasons) == 2
    assert reasons[0].startswith("POST /v1/ingest/heart_rate record 1: ts")
    assert reasons[1].startswith("POST /v1/ingest/heart_rate record 3: device_id")
    assert {row["_batch_id"] for row in rejected} == {kept[0]["_batch_id"]}
    assert {row["_stream"] for row in rejected} == {"heart_rate"}


def test_all_invalid_is_422_and_kept_in_rejected(served: Served, device: httpx.Client) -> None:
    dev = new_device()
    records = [{**reading(dev, 0), "bpm": "fast"}, {**reading(dev, 1), "confidence": 9}]
    response = device.post(INGEST.format("heart_rate"), json=records)

    body = assert_error(response, 422, "no_valid_records", "each is listed in errors")
    assert (body["accepted"], body["rejected"]) == (0, 2)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(0, "bpm"), (1, "confidence")]
    assert "fast" in body["errors"][0]["message"]
    assert "3" in body["errors"][1]["message"]  # the bound it broke
    assert bronze_rows(served.settings, "heart_rate", dev) == []
    assert len(bronze_rows(served.settings, "_rejected", dev)) == 2


def test_a_single_json_object(served: Served, device: httpx.Client) -> None:
    dev = new_device()
    response = device.post(
        INGEST.format("steps"), json={"device_id": dev, "ts": 1791072000, "steps": 12}
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 1, "rejected": 0, "errors": []}
    [row] = bronze_rows(served.settings, "steps", dev)
    assert json.loads(row["payload"]) == {"device_id": dev, "ts": 1791072000, "steps": 12}
    assert row["_stream"] == "steps"


def test_a_json_object_that_is_not_a_record_is_rejected(device: httpx.Client) -> None:
    response = device.post(INGEST.format("heart_rate"), json=[42])
    body = assert_error(response, 422, "no_valid_records")
    assert body["errors"][0]["index"] == 0
    assert "must be a JSON object" in body["errors"][0]["message"]


def test_ndjson_indexes_are_line_numbers_counting_blank_lines(
    served: Served, device: httpx.Client
) -> None:
    dev = new_device()
    lines = [
        json.dumps(reading(dev, 0)),
        "",
        json.dumps({**reading(dev, 2), "bpm": None, "ts": None}),
        json.dumps(reading(dev, 3)),
        "   ",
        f'{{"device_id": "{dev}", not json',
        json.dumps(reading(dev, 6)),
    ]
    response = device.post(
        INGEST.format("heart_rate"),
        content="\n".join(lines) + "\n",
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (3, 2)
    assert [e["index"] for e in body["errors"]] == [2, 5]
    assert body["errors"][0]["field"] == "ts"
    assert "ts" in body["errors"][0]["message"] and "bpm" in body["errors"][0]["message"]
    assert "not valid JSON" in body["errors"][1]["message"]
    # NDJSON lines are kept verbatim, spaces included.
    payloads = sorted(row["payload"] for row in bronze_rows(served.settings, "heart_rate", dev))
    assert payloads == sorted([lines[0], lines[3], lines[6]])
    reasons = sorted(row["reason"] for row in bronze_rows(served.settings, "_rejected", dev))
    assert [r.split(":")[0] for r in reasons] == [
        "POST /v1/ingest/heart_rate record 2",
        "POST /v1/ingest/heart_rate record 5",
    ]


@pytest.mark.parametrize("media", ["application/json", "application/x-ndjson"])
def test_gzip_bodies(served: Served, device: httpx.Client, media: str) -> None:
    dev = new_device()
    records = [reading(dev, second) for second in range(20)]
    text = (
        json.dumps(records)
        if media == "application/json"
        else "\n".join(json.dumps(r) for r in records)
    )
    response = device.post(
        INGEST.format("heart_rate"),
        content=gzip.compress(text.encode()),
        headers={"Content-Type": media, "Content-Encoding": "gzip"},
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 20, "rejected": 0, "errors": []}
    assert len(bronze_rows(served.settings, "heart_rate", dev)) == 20


def test_examples_of_the_docs_are_accepted(served: Served, device: httpx.Client) -> None:
    schema = device.get("/openapi.json").json()
    examples = schema["paths"]["/v1/ingest/{stream}"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    for stream in STREAMS:
        response = device.post(INGEST.format(stream), json=examples[stream]["value"])
        assert response.status_code == 202, (stream, response.text)
        assert response.json()["accepted"] == 1


# --- errors of the request as a whole ----------------------------------------------------------


def test_malformed_json_is_400(device: httpx.Client) -> None:
    response = device.post(
        INGEST.format("heart_rate"),
        content=b'[{"device_id": "d1", "ts": ',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "malformed_json", "not valid JSON", "application/x-ndjson")


@pytest.mark.parametrize("body", [b"[]", b"\n\n"])
def test_a_body_without_records_is_400(device: httpx.Client, body: bytes) -> None:
    media = "application/json" if body == b"[]" else "application/x-ndjson"
    response = device.post(
        INGEST.format("heart_rate"), content=body, headers={"Content-Type": media}
    )
    assert_error(response, 400, "empty_body", "holds no records")


def test_bad_gzip_is_400(device: httpx.Client) -> None:
    response = device.post(
        INGEST.format("heart_rate"),
        content=b"this is not gzip at all",
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert_error(response, 400, "bad_gzip", "not valid gzip", "Content-Encoding")


def test_unknown_stream_is_404(device: httpx.Client) -> None:
    response = device.post(INGEST.format("blood_pressure"), json={"device_id": "d1"})
    body = assert_error(response, 404, "unknown_stream", "'blood_pressure'")
    for stream in STREAMS:
        assert stream in body["message"]


def test_unknown_endpoint_and_method_are_json(device: httpx.Client) -> None:
    assert_error(device.get("/v1/nothing-here"), 404, "http_error", "/v1/nothing-here", "/docs")
    assert_error(device.get(INGEST.format("heart_rate")), 405, "http_error", "GET", "/docs")


def test_an_overlong_idempotency_key_is_422(device: httpx.Client) -> None:
    response = device.post(
        INGEST.format("heart_rate"),
        json=reading(new_device(), 0),
        headers={"Idempotency-Key": "k" * 201},
    )
    body = assert_error(response, 422, "invalid_request")
    [problem] = body["errors"]
    assert problem["field"] == "header.idempotency-key"
    assert "200" in problem["message"]


def test_a_body_over_the_limit_is_413(served: Served, device: httpx.Client) -> None:
    dev = new_device()
    big = json.dumps([reading(dev, s % 3600) for s in range(2000)]).encode()
    assert len(big) > BODY_LIMIT

    declared = device.post(
        INGEST.format("heart_rate"), content=big, headers={"Content-Type": "application/json"}
    )
    assert_error(declared, 413, "body_too_large", f"{BODY_LIMIT:,}")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    streamed = device.post(
        INGEST.format("heart_rate"), content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in streamed.request.headers
    assert_error(streamed, 413, "body_too_large", "smaller batches")

    bomb = gzip.compress(big)  # small on the wire, over the limit once inflated
    assert len(bomb) < BODY_LIMIT
    inflated = device.post(
        INGEST.format("heart_rate"),
        content=bomb,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert_error(inflated, 413, "body_too_large", "inflates", "smaller batches")
    assert bronze_rows(served.settings, "heart_rate", dev) == []


def test_unsupported_media_type_and_encoding_are_415(device: httpx.Client) -> None:
    record = json.dumps(reading(new_device(), 0))
    xml = device.post(
        INGEST.format("heart_rate"), content=record, headers={"Content-Type": "application/xml"}
    )
    assert_error(xml, 415, "unsupported_media_type", "'application/xml'", "application/x-ndjson")
    brotli = device.post(
        INGEST.format("heart_rate"),
        content=record,
        headers={"Content-Type": "application/json", "Content-Encoding": "br"},
    )
    assert_error(brotli, 415, "unsupported_encoding", "'br'", "gzip")


# --- idempotency ------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_answer_and_adds_nothing(
    served: Served, device: httpx.Client
) -> None:
    dev = new_device()
    key = {"Idempotency-Key": f"batch-{dev}"}
    records = [reading(dev, 0), {**reading(dev, 1), "bpm": "n/a"}, reading(dev, 2)]
    first = device.post(INGEST.format("heart_rate"), json=records, headers=key)
    assert first.status_code == 202, first.text
    assert (first.json()["accepted"], first.json()["rejected"]) == (2, 1)
    counts = (
        len(bronze_rows(served.settings, "heart_rate", dev)),
        len(bronze_rows(served.settings, "_rejected", dev)),
    )
    assert counts == (2, 1)

    again = device.post(INGEST.format("heart_rate"), json=records, headers=key)
    # A different body under a used key is still the same request: nothing is added.
    changed = device.post(INGEST.format("heart_rate"), json=[reading(dev, 9)], headers=key)
    for retry in (again, changed):
        assert retry.status_code == 202
        assert retry.json() == first.json()
    assert len(bronze_rows(served.settings, "heart_rate", dev)) == 2
    assert len(bronze_rows(served.settings, "_rejected", dev)) == 1

    # The same key on another stream names another request.
    steps = device.post(
        INGEST.format("steps"), json={"device_id": dev, "ts": 1791072000, "steps": 5}, headers=key
    )
    assert steps.status_code == 202
    assert steps.json() == {"accepted": 1, "rejected": 0, "errors": []}
    assert len(bronze_rows(served.settings, "steps", dev)) == 1


def test_a_refused_request_is_replayed_as_refused(served: Served, device: httpx.Client) -> None:
    dev = new_device()
    key = {"Idempotency-Key": f"bad-{dev}"}
    first = device.post(INGEST.format("heart_rate"), json=[{"device_id": dev}], headers=key)
    again = device.post(INGEST.format("heart_rate"), json=[{"device_id": dev}], headers=key)
    assert first.status_code == again.status_code == 422
    assert first.json() == again.json()
    assert len(bronze_rows(served.settings, "_rejected", dev)) == 1


def test_concurrent_retries_with_one_key_commit_once(slow: Served) -> None:
    """Retries arriving while the first request waits for its commit share its answer."""
    dev = new_device()
    key = {"Idempotency-Key": f"race-{dev}"}
    records = [reading(dev, second) for second in range(SLOW_QUEUE)]
    with slow.client() as client, ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: client.post(INGEST.format("heart_rate"), json=records, headers=key),
                range(4),
            )
        )
    # None is refused as busy, though the queue is full: they wait on the first one's commit.
    assert [a.status_code for a in answers] == [202] * 4
    assert all(a.json() == answers[0].json() for a in answers)
    assert len(bronze_rows(slow.settings, "heart_rate", dev)) == SLOW_QUEUE


# --- tokens and roles -------------------------------------------------------------------------


def test_no_token_is_401(served: Served) -> None:
    with served.client(role=None) as anonymous:
        response = anonymous.post(INGEST.format("heart_rate"), json=reading(new_device(), 0))
    assert_error(response, 401, "unauthorized", "Authorization: Bearer", "wearhouse token create")
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unknown_token_is_401(served: Served) -> None:
    with httpx.Client(
        base_url=served.server.base_url, headers={"Authorization": "Bearer wh_nope"}
    ) as client:
        response = client.post(INGEST.format("heart_rate"), json=reading(new_device(), 0))
    assert_error(response, 401, "unauthorized", "unknown or revoked", "create a new one")


def test_a_token_created_while_serving_works_at_once(served: Served) -> None:
    token = make_token(served.server.home, Role.device)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=served.server.base_url, headers=headers) as client:
        response = client.post(INGEST.format("heart_rate"), json=reading(new_device(), 0))
    assert response.status_code == 202, response.text


def test_a_device_token_cannot_use_admin_endpoints(device: httpx.Client) -> None:
    response = device.get("/v1/admin/tokens")
    assert_error(response, 403, "forbidden", "a device token cannot do this", "admin")


@pytest.mark.parametrize("role", [Role.user, Role.analyst])
def test_only_device_and_admin_tokens_ingest(served: Served, role: Role) -> None:
    with served.client(role) as client:
        response = client.post(INGEST.format("heart_rate"), json=reading(new_device(), 0))
    assert_error(response, 403, "forbidden", f"a {role.value} token cannot do this", "device")


def test_an_admin_token_lists_tokens_and_can_ingest(served: Served) -> None:
    dev = new_device()
    with served.client(Role.admin) as admin:
        listed = admin.get("/v1/admin/tokens")
        ingested = admin.post(INGEST.format("heart_rate"), json=reading(dev, 0))
    assert listed.status_code == 200
    assert {entry["role"] for entry in listed.json()} >= {role.value for role in Role}
    assert not any("sha256" in entry or "token" in entry for entry in listed.json())
    assert ingested.status_code == 202, ingested.text
    assert len(bronze_rows(served.settings, "heart_rate", dev)) == 1


# --- operations -------------------------------------------------------------------------------


def samples(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_move_with_requests(device: httpx.Client) -> None:
    accepted = (
        "wearhouse_ingest_records_total",
        (("outcome", "accepted"), ("stream", "gym_visits")),
    )
    rejected = (
        "wearhouse_ingest_records_total",
        (("outcome", "rejected"), ("stream", "gym_visits")),
    )
    commits = ("wearhouse_ingest_commit_seconds_count", ())
    refused = ("wearhouse_ingest_refused_requests_total", (("reason", "malformed_json"),))
    before = samples(device)
    visit = {"mac_address": "aa:bb:cc:00:00:09", "gym_id": "g01", "login": "2026-10-02T17:20:00Z"}
    response = device.post(INGEST.format("gym_visits"), json=[visit, visit, {"gym_id": "g01"}])
    assert response.status_code == 202, response.text
    device.post(
        INGEST.format("gym_visits"), content=b"{", headers={"Content-Type": "application/json"}
    )
    after = samples(device)

    assert after[accepted] - before.get(accepted, 0) == 2
    assert after[rejected] - before.get(rejected, 0) == 1
    assert after[commits] - before[commits] == 1
    assert after[refused] - before.get(refused, 0) == 1
    assert after[("wearhouse_ingest_queue_records", ())] == 0


def test_openapi_documents_ingest_with_an_example_per_stream(device: httpx.Client) -> None:
    schema = device.get("/openapi.json").json()
    operation = schema["paths"]["/v1/ingest/{stream}"]["post"]
    assert {"202", "400", "401", "403", "404", "413", "415", "422", "503"} <= set(
        operation["responses"]
    )
    [stream_param] = [p for p in operation["parameters"] if p["name"] == "stream"]
    enum_name = stream_param["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][enum_name]["enum"]) == set(STREAMS)
    assert any(p["name"].lower() == "idempotency-key" for p in operation["parameters"])
    content = operation["requestBody"]["content"]
    assert "application/x-ndjson" in content
    examples = content["application/json"]["examples"]
    for stream in STREAMS:
        check(stream, orjson.dumps(examples[stream]["value"]))  # each example honours its contract
    for model in STREAMS.values():
        assert model.__name__ in schema["components"]["schemas"]
    docs = device.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


# --- servers with other settings --------------------------------------------------------------


@pytest.mark.parametrize(
    "how",
    [{"env": {"WEARHOUSE_SERVE__NO_AUTH": "true"}}, {"args": ["--no-auth"]}],
    ids=["env", "flag"],
)
def test_no_auth_server_accepts_requests_without_a_token(
    tmp_path: Path, how: dict[str, Any]
) -> None:
    dev = new_device()
    with (
        ServerProcess(tmp_path, **how) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        ingested = client.post(INGEST.format("heart_rate"), json=reading(dev, 0))
        admin = client.get("/v1/admin/tokens")
    assert ingested.status_code == 202, ingested.text
    assert admin.status_code == 200
    assert len(bronze_rows(Settings(home=tmp_path), "heart_rate", dev)) == 1


def test_idempotency_keys_survive_a_restart(tmp_path: Path) -> None:
    token = make_token(tmp_path, Role.device)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "restart-1"}
    dev = new_device()
    records = [reading(dev, 0), reading(dev, 1), {"device_id": dev}]
    server = ServerProcess(tmp_path)
    server.start()
    try:
        first = httpx.post(f"{server.base_url}/v1/ingest/heart_rate", json=records, headers=headers)
        assert first.status_code == 202, first.text
        server.kill()  # no graceful shutdown: only what is in the Delta log survives
        server.start()
        again = httpx.post(f"{server.base_url}/v1/ingest/heart_rate", json=records, headers=headers)
    finally:
        server.stop()
    assert again.status_code == 202
    assert again.json() == first.json()
    settings = Settings(home=tmp_path)
    assert len(bronze_rows(settings, "heart_rate", dev)) == 2
    assert len(bronze_rows(settings, "_rejected", dev)) == 1


def test_backpressure_answers_503_with_retry_after(slow: Served) -> None:
    """While 10 records wait for their commit (the bound), another request is refused with
    Retry-After; once they are committed the same request is accepted."""
    dev = new_device()
    url = INGEST.format("heart_rate")
    with slow.client() as client, ThreadPoolExecutor(8) as pool:
        waiting = pool.submit(client.post, url, json=[reading(dev, s) for s in range(SLOW_QUEUE)])
        deadline = time.monotonic() + 5
        while client.get("/health").json()["queued_records"] < SLOW_QUEUE:
            assert time.monotonic() < deadline, "the first request never reached the queue"
            time.sleep(0.01)
        refused = client.post(url, json=[reading(dev, 100)])
        first = waiting.result()
        accepted_later = client.post(url, json=[reading(dev, 100)])

        # A burst: the first request to arrive is always queued; others may be refused.
        burst = list(
            pool.map(
                lambda n: client.post(
                    url, json=[reading(dev, 200 + 10 * n + s) for s in range(10)]
                ),
                range(6),
            )
        )
        metrics = client.get("/metrics").text

    assert_error(refused, 503, "busy", f"{SLOW_QUEUE} records are waiting", "retry")
    assert refused.headers["retry-after"] == "1"
    assert first.status_code == 202 and first.json()["accepted"] == SLOW_QUEUE
    assert accepted_later.status_code == 202
    statuses = [r.status_code for r in burst]
    assert set(statuses) <= {202, 503}, statuses
    assert 202 in statuses
    assert all(r.headers["retry-after"] == "1" for r in burst if r.status_code == 503)
    assert 'wearhouse_ingest_refused_requests_total{reason="queue_full"}' in metrics
    rows = bronze_rows(slow.settings, "heart_rate", dev)
    assert len(rows) == SLOW_QUEUE + 1 + 10 * statuses.count(202)


# --- regressions of bugs found and fixed ---------------------------------------------------


def test_two_devices_may_use_the_same_idempotency_key(served: Served) -> None:
    first_dev, second_dev = new_device(), new_device()
    key = {"Idempotency-Key": f"1-{first_dev}"}  # devices counting their batches from 1
    other_token = make_token(served.server.home, Role.device)
    with served.client(Role.device) as first:
        first.post(INGEST.format("heart_rate"), json=reading(first_dev, 0), headers=key)
    with httpx.Client(
        base_url=served.server.base_url, headers={"Authorization": f"Bearer {other_token}"}
    ) as second:
        response = second.post(
            INGEST.format("heart_rate"),
            json=[reading(second_dev, 0), reading(second_dev, 1)],
            headers=key,
        )
    assert response.json()["accepted"] == 2
    assert len(bronze_rows(served.settings, "heart_rate", second_dev)) == 2


def test_multi_member_gzip_is_read_whole(served: Served, device: httpx.Client) -> None:
    dev = new_device()
    body = b"".join(gzip.compress(json.dumps(reading(dev, s)).encode() + b"\n") for s in range(3))
    response = device.post(
        INGEST.format("heart_rate"),
        content=body,
        headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 202
    assert response.json()["accepted"] == 3
    assert len(bronze_rows(served.settings, "heart_rate", dev)) == 3


def test_a_truncated_gzip_body_is_400(served: Served, device: httpx.Client) -> None:
    dev = new_device()
    text = "\n".join(json.dumps(reading(dev, s)) for s in range(3)) + "\n"
    whole = gzip.compress(text.encode())
    response = device.post(
        INGEST.format("heart_rate"),
        content=whole[:-4],  # the gzip trailer (length) is missing
        headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
    )
    assert_error(response, 400, "bad_gzip")
    assert bronze_rows(served.settings, "heart_rate", dev) == []


@pytest.mark.parametrize("coding", ["GZIP", "x-gzip"])
def test_content_encoding_is_case_insensitive(device: httpx.Client, coding: str) -> None:
    body = gzip.compress(json.dumps(reading(new_device(), 0)).encode())
    response = device.post(
        INGEST.format("heart_rate"),
        content=body,
        headers={"Content-Type": "application/json", "Content-Encoding": coding},
    )
    assert response.status_code == 202, response.text


def test_concurrent_retries_count_once_in_metrics(slow: Served) -> None:
    name = ("wearhouse_ingest_records_total", (("outcome", "accepted"), ("stream", "sleeps")))
    dev = new_device()
    record = {**EXAMPLES["sleeps"], "device_id": dev}
    with slow.client() as client, ThreadPoolExecutor(4) as pool:
        before = samples(client).get(name, 0)
        answers = list(
            pool.map(
                lambda _: client.post(
                    INGEST.format("sleeps"), json=[record] * 5, headers={"Idempotency-Key": dev}
                ),
                range(4),
            )
        )
        after = samples(client)[name]
    assert [a.status_code for a in answers] == [202] * 4
    assert len(bronze_rows(slow.settings, "sleeps", dev)) == 5
    assert after - before == 5
