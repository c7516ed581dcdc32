"""Property-based fuzzing of the live service from its own OpenAPI schema: never a 5xx.

Schemathesis generates requests (valid and invalid bodies, headers, path values) for the ingest
route, /health, /metrics and the admin route, sends them with a device token to a real
`wearhouse serve`, and fails on any server error or on an error answer that is not JSON.

The schema is built at import (schemathesis parametrizes at collection, before any server runs)
from the same app factory the server uses; a test checks it equals the served /openapi.json.
schemathesis.pytest.from_fixture would load it from the server instead, but it fails on pytest 9
(it sets Function._nodeid, which pytest 9 removed).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from http_server import ServerProcess, make_token
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from wearhouse.auth.tokens import Role
from wearhouse.ingest.app import create_app
from wearhouse.settings import Settings

pytestmark = pytest.mark.integration

OPENAPI = create_app(Settings(home=Path("never-created"))).openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)
STATUSES: Counter[tuple[str, int]] = Counter()


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx: Any, value: Any) -> bytes:
    """The schema says 'a string': send it as is (lone surrogates make invalid UTF-8)."""
    if isinstance(value, str):
        return value.encode("utf-8", errors="surrogatepass")
    items = value if isinstance(value, list) else [value]
    return "\n".join(json.dumps(item) for item in items).encode()


@schemathesis.check
def errors_are_json_with_a_message(ctx: Any, response: schemathesis.Response, case: Any) -> None:
    """DESIGN.md section 7: every error is JSON with a message that says what to fix."""
    STATUSES[(case.operation.label, response.status_code)] += 1
    if response.status_code < 400:
        return
    body = response.json()
    assert isinstance(body, dict), body
    assert body.get("error"), body
    assert body.get("message"), body


@dataclass(frozen=True)
class Fuzzed:
    server: ServerProcess
    headers: dict[str, str]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    home = tmp_path_factory.mktemp("http-fuzz")
    token = make_token(home, Role.device)
    with ServerProcess(home) as server:
        yield Fuzzed(server, {"Authorization": f"Bearer {token}"})


def test_the_fuzzed_schema_is_the_served_one(fuzzed: Fuzzed) -> None:
    served = httpx.get(f"{fuzzed.server.base_url}/openapi.json").json()
    assert served == OPENAPI
    assert {"/v1/ingest/{stream}", "/health", "/metrics"} <= set(served["paths"])


@schema.parametrize()
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_server_errors(case: schemathesis.Case, fuzzed: Fuzzed) -> None:
    case.call_and_validate(
        base_url=fuzzed.server.base_url,
        headers=fuzzed.headers,
        checks=[not_a_server_error, errors_are_json_with_a_message],
        timeout=30,
    )


def test_fuzzing_got_past_the_door(fuzzed: Fuzzed) -> None:
    """The token worked: ingest answered both 202 and refusals, so the fuzz reached the checks."""
    if not STATUSES:
        pytest.skip("test_no_server_errors did not run in this process")
    ingest = {status for (label, status), _ in STATUSES.items() if "/v1/ingest/" in label}
    assert 202 in ingest, STATUSES
    assert ingest & {400, 404, 415, 422}, STATUSES
    assert not any(status >= 500 for _, status in STATUSES), STATUSES
    print(f"\nfuzz: {sum(STATUSES.values())} requests; by operation and status: {dict(STATUSES)}")
