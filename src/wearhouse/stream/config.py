"""Broker configuration: which broker a URL names, and the name of each stream on it (DESIGN.md 7)."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from wearhouse.contracts import STREAMS

KINDS: dict[str, tuple[str, str, int]] = {
    # scheme: (what a name is called there, separator after the prefix, default port)
    "nats": ("subject", ".", 4222),
    "redis": ("stream", ":", 6379),
    "amqp": ("queue", ".", 5672),
    "kafka": ("topic", ".", 9092),
    "mqtt": ("topic", "/", 1883),
}
"""The brokers `wearhouse consume` speaks; the URL scheme is also bronze's `_source`."""


NAME = r"^[A-Za-z0-9_-]{1,64}$"


class StreamSettings(BaseModel):
    """Broker consumers and publishers (`wearhouse consume`, `wearhouse simulate --broker`)."""

    # Names are <prefix>.<stream> (NATS subject, RabbitMQ queue, Kafka topic), <prefix>:<stream>
    # (Redis stream key) and <prefix>/<stream> (MQTT topic); the JetStream stream is <prefix>.
    prefix: str = Field(default="wearhouse", pattern=NAME)
    # Consumer group (Redis, Kafka), durable consumer (NATS, + "-<stream>"), MQTT client id.
    group: str = Field(default="wearhouse-bronze", pattern=NAME)
    # This process's name inside the Redis group: keep it stable across restarts, so the
    # messages it had read but not committed before a crash are read again when it comes back.
    consumer: str = Field(default_factory=socket.gethostname, min_length=1)
    # Messages per fetch (NATS, Redis, Kafka), RabbitMQ prefetch, MQTT messages per commit.
    batch_messages: int = Field(default=500, ge=1)
    # How long a fetch waits to fill a batch before committing what it has.
    batch_wait_ms: int = Field(default=20, ge=1)
    # A message not acknowledged this long is redelivered (NATS ack wait).
    ack_wait_s: float = Field(default=60.0, gt=0)
    # Redis: messages pending on another consumer this long are claimed (it is presumed dead).
    claim_idle_s: float = Field(default=60.0, gt=0)
    # Back-off between attempts to reach the broker (or bronze): doubles up to this.
    max_backoff_s: float = Field(default=30.0, gt=0)
    # NATS: how long the JetStream stream created by Wearhouse keeps messages.
    retention_hours: float = Field(default=24.0 * 7, gt=0)

    def named(self, prefix: str | None = None, group: str | None = None) -> StreamSettings:
        """A copy with another prefix and/or group; ValueError says what a name may hold."""
        changes = {k: v for k, v in (("prefix", prefix), ("group", group)) if v is not None}
        for label, value in changes.items():
            if not re.fullmatch(NAME, value):
                raise ValueError(
                    f"invalid --{label} {value!r}: use 1 to 64 letters, digits, '_' or '-' "
                    "(it becomes part of subject, key, queue and topic names)"
                )
        return self.model_copy(update=changes)


class _Environment(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WEARHOUSE_", env_nested_delimiter="__", extra="ignore"
    )

    stream: StreamSettings = StreamSettings()


def get_stream_settings() -> StreamSettings:
    """Broker settings from the environment: WEARHOUSE_STREAM__PREFIX, WEARHOUSE_STREAM__GROUP, ..."""
    return _Environment().stream


@dataclass(frozen=True)
class BrokerUrl:
    """A parsed broker URL such as nats://127.0.0.1:4222 or amqp://guest:guest@127.0.0.1:5672/."""

    url: str
    kind: str
    host: str
    port: int
    username: str | None
    password: str | None
    path: str

    @classmethod
    def parse(cls, url: str) -> BrokerUrl:
        """Parse and check a broker URL; ValueError says which schemes are understood."""
        parts = urlsplit(url)
        kind = parts.scheme.lower()
        if kind not in KINDS:
            schemes = ", ".join(f"{k}://" for k in KINDS)
            raise ValueError(f"unknown broker {url!r}: the URL must start with one of {schemes}")
        try:
            port = parts.port or KINDS[kind][2]
        except ValueError:
            raise ValueError(f"broker URL {url!r} has an invalid port") from None
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(url, kind, parts.hostname or "127.0.0.1", port, user, password, parts.path)

    @property
    def noun(self) -> str:
        """What a stream's name is called on this broker: subject, stream, queue or topic."""
        return KINDS[self.kind][0]

    @property
    def safe(self) -> str:
        """The URL without its password, for messages and logs."""
        user = f"{self.username}@" if self.username else ""
        return f"{self.kind}://{user}{self.host}:{self.port}{self.path}"

    def address(self, prefix: str, stream: str) -> str:
        """The subject, stream key, queue or topic a Wearhouse stream travels on."""
        return f"{prefix}{KINDS[self.kind][1]}{stream}"

    def where(self, address: str) -> str:
        """How a reason names a message's origin, e.g. `nats subject wearhouse.heart_rate`."""
        return f"{self.kind} {self.noun} {address}"


def parse_streams(values: list[str] | None) -> list[str]:
    """Stream names from repeated or comma-separated options; all streams when none are given."""
    names = [n.strip() for v in values or [] for n in v.split(",") if n.strip()]
    unknown = [n for n in names if n not in STREAMS]
    if unknown:
        raise ValueError(f"unknown stream {unknown[0]!r}: use some of {', '.join(STREAMS)}")
    return list(dict.fromkeys(names)) or list(STREAMS)
