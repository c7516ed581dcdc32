"""Support for the live-feed tests: gold written as Delta tables, WebSocket clients, posting readings."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
import httpx
import orjson
from deltalake import write_deltalake
from http_server import ServerProcess
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from wearhouse.settings import Settings

Frame = dict[str, Any]

# u1: resting 50, age group 65-75 (age 70: max 159, high 143, low 35);
# u2: resting 70, age group 25-35 (age 30: max 187, high 168, low 55).
GOLD = {
    "dim_devices": """
        select * from (values ('d1', 'u1', 'watch'), ('d2', 'u2', 'band'), ('d3', 'u1', 'phone'))
        t(device_id, user_id, kind)
    """,
    "dim_users": """
        select * from (values ('u1', '55-65', false), ('u1', '65-75', true), ('u2', '25-35', true))
        t(user_id, age_group, is_current)
    """,
    "user_daily": """
        select user_id, day, [device] as devices, 5000::bigint as step_count, 70.0 as avg_bpm,
               48.0 as min_bpm, 150.0 as max_bpm, resting_bpm, 420.0 as sleep_minutes,
               55.0 as avg_sleep_bpm, 1440::bigint as readings
        from (values ('u1', date '2026-11-20', 'd1', 62.0), ('u1', date '2026-11-24', 'd1', 50.0),
                     ('u2', date '2026-11-24', 'd2', 70.0)) t(user_id, day, device, resting_bpm)
    """,
}


def write_gold(home: Path) -> None:
    """The gold tables the live feed reads (who wears what, resting rates, age groups)."""
    lake = Settings(home=home).lake / "gold"
    con = duckdb.connect()
    for table, sql in GOLD.items():
        write_deltalake(str(lake / table), con.sql(sql).to_arrow_table(), mode="overwrite")


def feed(
    server: ServerProcess,
    token: str | None = None,
    header: bool = False,
    small_buffer: bool = False,
    **params: str,
) -> ClientConnection:
    """A WebSocket on the server's /v1/live; the token as ?token= or as a bearer header.

    `small_buffer` shrinks the client's socket receive buffer, so a client that stops reading
    pushes back on the server after a few kilobytes."""
    query = dict(params)
    headers = {}
    if token and header:
        headers["Authorization"] = f"Bearer {token}"
    elif token:
        query["token"] = token
    url = f"ws://127.0.0.1:{server.port}/v1/live"
    if query:
        url += "?" + urlencode(query)
    sock = socket.socket()
    if small_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    return connect(url, sock=sock, additional_headers=headers, open_timeout=10, max_queue=4)


def receive(ws: ClientConnection, timeout: float = 10.0) -> Frame:
    """The next frame as JSON."""
    return orjson.loads(ws.recv(timeout=timeout))  # type: ignore[no-any-return]


def hello(ws: ClientConnection) -> Frame:
    """The first frame, which must be the hello."""
    first = receive(ws)
    assert first["type"] == "hello", first
    return first


def until(
    ws: ClientConnection, last: Callable[[Frame], bool], timeout: float = 20.0
) -> list[Frame]:
    """Every frame up to and including the first for which `last` is true."""
    seen: list[Frame] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:
            frame = receive(ws, max(left, 0.01))
        except TimeoutError:
            raise AssertionError(f"no closing frame within {timeout} s; saw {seen[-20:]}") from None
        seen.append(frame)
        if last(frame):
            return seen


def refusal(ws: ClientConnection) -> tuple[Frame, int | None, str]:
    """The error frame of a refused connection, and its close code and reason."""
    error = receive(ws)
    try:
        extra = ws.recv(timeout=10)
        raise AssertionError(f"expected the connection to close, got {extra!r}")
    except ConnectionClosed as closed:
        assert closed.rcvd is not None
        return error, closed.rcvd.code, closed.rcvd.reason


def is_reading(device: str, ts: str | None = None) -> Callable[[Frame], bool]:
    """A predicate: a reading frame of `device` (at `ts`)."""
    return lambda f: (
        f["type"] == "reading" and f["device_id"] == device and (ts is None or f["ts"] == ts)
    )


def post(server: ServerProcess, token: str, stream: str, body: Any) -> httpx.Response:
    """POST records; they must be accepted (202)."""
    answer = httpx.post(
        f"{server.base_url}/v1/ingest/{stream}",
        content=orjson.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert answer.status_code == 202, answer.text
    return answer


START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def at(seconds: float) -> str:
    """An event time `seconds` after the tests' start, as the feed writes it."""
    return (START + timedelta(seconds=seconds)).isoformat()


def series(device: str, bpms: list[float], offset: float = 0, every: float = 5) -> list[Frame]:
    """Heart-rate readings of one device, one every `every` seconds from `offset`."""
    return [
        {"device_id": device, "ts": at(offset + n * every), "bpm": bpm}
        for n, bpm in enumerate(bpms)
    ]
