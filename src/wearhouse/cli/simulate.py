"""`wearhouse simulate`: devices posting realistic readings to a running Wearhouse over HTTP."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from wearhouse.cli.output import console, errors


def simulate(
    url: Annotated[
        str | None,
        typer.Option(help="Base URL of `wearhouse serve`, e.g. http://127.0.0.1:8000."),
    ] = None,
    broker: Annotated[
        str | None,
        typer.Option(
            help="Publish to a broker instead of HTTP: nats://, redis://, amqp://, kafka:// or "
            "mqtt:// (start `wearhouse consume` first for MQTT)."
        ),
    ] = None,
    devices: Annotated[
        int, typer.Option(min=1, help="How many people (each with a wearable, some with a phone).")
    ] = 20,
    rate: Annotated[int, typer.Option(min=1, help="Readings per second, over all devices.")] = 200,
    duration: Annotated[
        float, typer.Option(min=0, help="Seconds to run; 0 runs until Ctrl-C.")
    ] = 60,
    token: Annotated[
        str | None, typer.Option(envvar="WEARHOUSE_TOKEN", help="A device or admin token.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the simulated fleet.")] = 7,
    prefix: Annotated[
        str | None,
        typer.Option(help="With --broker: the name prefix (default: WEARHOUSE_STREAM__PREFIX)."),
    ] = None,
) -> None:
    """Register a synthetic fleet, then send its heart-rate and step readings, stamped now, at --rate.

    Give exactly one of --url (HTTP ingestion) and --broker (NATS JetStream, Redis, RabbitMQ, Kafka, MQTT).
    """
    if (url is None) == (broker is None):
        errors.print("[red]error:[/] give exactly one of --url (HTTP) and --broker (a broker URL)")
        raise typer.Exit(2)
    if broker is not None:
        _simulate_broker(broker, prefix, devices, rate, duration, seed)
        return
    assert url is not None
    import httpx

    from wearhouse.synth import live

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    folder = live.generate(devices, seed)
    try:
        with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=30) as client:
            for stream, batch in _profile_batches(live.profiles(folder)):
                _post(client, stream, batch)
            sent = _stream_readings(client, live.readings(folder), rate, duration)
    except httpx.HTTPError as exc:
        errors.print(f"[red]error:[/] cannot reach {url}: {exc}")
        raise typer.Exit(1) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    console.print(f"Posted {sent:,} readings from {devices} people.")


def _profile_batches(records: Any) -> list[tuple[str, list[dict[str, Any]]]]:
    batches: dict[str, list[dict[str, Any]]] = {}
    for stream, record in records:
        batches.setdefault(stream, []).append(record)
    return [(s, batches[s]) for s in ("users", "devices") if s in batches]


def _post(client: Any, stream: str, records: list[dict[str, Any]]) -> None:
    """POST a batch, honouring 503 Retry-After; errors in the answer are shown, not fatal."""
    while True:
        answer = client.post(f"/v1/ingest/{stream}", json=records)
        if answer.status_code == 503:
            time.sleep(float(answer.headers.get("retry-after", "1")))
            continue
        if answer.status_code in (401, 403):
            errors.print(f"[red]error:[/] {answer.json().get('message')}")
            raise typer.Exit(2)
        if answer.status_code not in (200, 202):
            errors.print(f"[yellow]{stream}: {answer.status_code} {answer.text[:300]}[/]")
        return


def _stream_readings(client: Any, readings: Any, rate: int, duration: float) -> int:
    from wearhouse.synth.live import redated

    started = time.monotonic()
    sent = 0
    with console.status("Streaming readings") as status:
        while not duration or time.monotonic() - started < duration:
            tick = time.monotonic()
            batch: dict[str, list[dict[str, Any]]] = {}
            now = datetime.now(UTC)
            for i in range(rate):
                try:
                    _, stream, reading = next(readings)
                except StopIteration:
                    return sent
                at = now + timedelta(seconds=i / rate)
                batch.setdefault(stream, []).append(redated(reading, at))
            for stream, records in batch.items():
                _post(client, stream, records)
                sent += len(records)
            status.update(f"Streaming readings: {sent:,} sent")
            time.sleep(max(0.0, 1 - (time.monotonic() - tick)))
    return sent


def _simulate_broker(
    broker: str, prefix: str | None, devices: int, rate: int, duration: float, seed: int
) -> None:
    """Publish the fleet to a broker, showing live counts."""
    import asyncio

    from wearhouse.stream.config import BrokerUrl, get_stream_settings
    from wearhouse.stream.simulate import SimulationReport
    from wearhouse.stream.simulate import simulate as publish_fleet

    try:
        url = BrokerUrl.parse(broker)
        config = get_stream_settings().named(prefix)
    except ValueError as exc:
        errors.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    with console.status(f"Publishing to {url.safe}") as status:

        def progress(report: SimulationReport) -> None:
            status.update(
                f"Publishing to {url.safe}: {report.readings:,} readings "
                f"in {report.messages:,} messages"
            )

        try:
            report = asyncio.run(
                publish_fleet(
                    url, config, devices=devices, rate=rate, duration=duration, seed=seed,
                    on_progress=progress,
                )
            )  # fmt: skip
        except Exception as exc:  # the broker is down or refused us: say so, no traceback
            errors.print(
                f"[red]error:[/] cannot publish to {url.safe} ({type(exc).__name__}: {exc}): "
                "check that the broker is running and the URL is right"
            )
            raise typer.Exit(1) from None
    console.print(
        f"Published {report.readings:,} readings from {devices} people in {report.messages:,} "
        f"messages to {url.safe} (prefix {config.prefix})."
    )
