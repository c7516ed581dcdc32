"""A lean HTTP/1.1 load generator for benchmarks: N keep-alive connections sending prebuilt requests.

It builds each request once as bytes and parses only the status line and Content-Length of the
answer, so the client costs little of the machine it shares with the server under test.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    """What one load run measured."""

    requests: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self, readings_per_request: int) -> dict[str, float | int]:
        """Throughput and latency percentiles of the accepted requests."""
        ok = self.statuses.get(202, 0) + self.statuses.get(200, 0)
        lat = sorted(self.latencies_ms) or [0.0]
        return {
            "requests_ok": ok,
            "requests_other": self.requests - ok,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "requests_per_s": round(ok / self.seconds, 1),
            "readings_per_s": round(ok * readings_per_request / self.seconds),
            "p50_ms": round(statistics.median(lat), 2),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2),
            "max_ms": round(lat[-1], 2),
        }


def build_request(
    path: str,
    body: bytes,
    headers: dict[str, str],
    host: str = "127.0.0.1",
    method: str = "POST",
) -> bytes:
    """One HTTP/1.1 request (a POST unless `method` says otherwise) as bytes."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _client(
    host: str, port: int, requests: list[bytes], deadline: float, result: LoadResult, offset: int
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = offset
    try:
        while time.perf_counter() < deadline:
            request = requests[i % len(requests)]
            i += 1
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:].strip())
            await reader.readexactly(length)
            elapsed = (time.perf_counter() - started) * 1000
            status = int(status_line.split()[1]) if status_line else 0
            result.requests += 1
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status in (200, 202):
                result.latencies_ms.append(elapsed)
    except (ConnectionError, asyncio.IncompleteReadError):
        result.errors += 1
    finally:
        writer.close()


async def run_load(
    host: str, port: int, requests: list[bytes], clients: int, seconds: float
) -> LoadResult:
    """Post the prebuilt requests round-robin from `clients` connections for `seconds`."""
    result = LoadResult()
    started = time.perf_counter()
    deadline = started + seconds
    step = max(1, len(requests) // clients)
    await asyncio.gather(
        *(_client(host, port, requests, deadline, result, c * step) for c in range(clients))
    )
    result.seconds = time.perf_counter() - started
    return result
