"""`wearhouse consume`: broker messages into bronze, acknowledged once committed."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from wearhouse.cli.output import console, errors

if TYPE_CHECKING:
    from wearhouse.settings import Settings
    from wearhouse.stream.config import BrokerUrl, StreamSettings
    from wearhouse.stream.ingestor import IngestStats

STATUS_EVERY_S = 1.0


def _logging() -> None:
    """Rich log lines on a terminal, plain ones in files (so they stay one line each)."""
    if errors.is_terminal:
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(console=errors, show_path=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    # FastStream's own INFO lines (task callbacks) are noise next to ours, and a broker outage
    # is one line per retry, not a traceback each time.
    broker_log = logging.getLogger("wearhouse.stream.broker")
    broker_log.setLevel(logging.WARNING)
    broker_log.addFilter(_one_line)


CLIENTS = ("nats", "redis", "aiormq", "aio_pika", "pamqp", "aiokafka", "aiomqtt", "paho")


def _one_line(record: logging.LogRecord) -> bool:
    """Fold a connection error's traceback into its log line."""
    error = record.exc_info[1] if record.exc_info else None
    client = type(error).__module__.split(".")[0] in CLIENTS
    if error is not None and (client or isinstance(error, OSError | TimeoutError)):
        record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
        record.args, record.exc_info, record.exc_text = None, None, None
    return True


def consume(
    broker: Annotated[
        str,
        typer.Option(
            envvar="WEARHOUSE_BROKER",
            help="Broker URL: nats://host:4222 (JetStream), redis://host:6379, "
            "amqp://user:password@host:5672/, kafka://host:9092 or mqtt://host:1883.",
        ),
    ],
    streams: Annotated[
        list[str] | None,
        typer.Option(
            "--streams",
            metavar="STREAM",
            help="Streams to consume, repeated or comma-separated (default: all seven).",
        ),
    ] = None,
    prefix: Annotated[
        str | None,
        typer.Option(
            help="Name prefix: subject/queue/topic <prefix>.<stream>, Redis key <prefix>:<stream>, "
            "MQTT topic <prefix>/<stream> (default: WEARHOUSE_STREAM__PREFIX, else wearhouse)."
        ),
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(
            help="Consumer group / durable name / MQTT client id "
            "(default: WEARHOUSE_STREAM__GROUP, else wearhouse-bronze)."
        ),
    ] = None,
) -> None:
    """Consume broker messages into bronze; each is acknowledged only after its records are committed.

    Poison messages (not JSON, wrong shape) go to quarantine with the broker, subject and reason, and are acknowledged. A broker that is down is retried with back-off. Stop with Ctrl-C or SIGTERM.
    """
    from wearhouse.settings import get_settings
    from wearhouse.stream.config import BrokerUrl, get_stream_settings, parse_streams

    try:
        url = BrokerUrl.parse(broker)
        names = parse_streams(streams)
        config = get_stream_settings().named(prefix, group)
    except ValueError as exc:
        errors.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    _logging()
    stats = asyncio.run(_run(url, names, config, get_settings()))
    console.print(
        f"[green]Committed[/] {stats.records:,} records ({stats.readings:,} readings) from "
        f"{stats.messages:,} messages; {stats.rejected:,} records quarantined "
        f"({stats.poison:,} poison messages)."
    )


async def _run(
    url: BrokerUrl, names: list[str], config: StreamSettings, settings: Settings
) -> IngestStats:
    """Consume until SIGINT or SIGTERM, showing live counts."""
    from wearhouse.stream.ingestor import Ingestor
    from wearhouse.stream.service import consume

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    ingestor = Ingestor(settings, url, config)
    service = asyncio.create_task(consume(settings, url, names, config, stop, ingestor=ingestor))
    with console.status(f"Connecting to {url.safe}") as status:
        last, last_at = 0, time.monotonic()
        while not service.done():
            await asyncio.wait([service], timeout=STATUS_EVERY_S)
            stats, now = ingestor.stats, time.monotonic()
            rate = (stats.readings - last) / max(now - last_at, 1e-9)
            last, last_at = stats.readings, now
            status.update(
                f"{url.safe} -> bronze: {stats.messages:,} messages, {stats.readings:,} readings "
                f"({rate:,.0f}/s), {stats.rejected:,} quarantined"
            )
    return service.result()
