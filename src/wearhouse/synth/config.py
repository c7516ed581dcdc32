"""What fleet to generate: size, period, seed and sampling rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime


@dataclass(frozen=True)
class FleetConfig:
    """A synthetic fleet: `users` people wearing devices for `days` days from `start` (UTC)."""

    users: int = 50
    days: int = 30
    seed: int = 7
    start: date = date(2026, 10, 1)
    hr_interval_s: int = 30
    with_errors: bool = False

    def __post_init__(self) -> None:
        if self.users < 1:
            raise ValueError(f"users must be at least 1, got {self.users}")
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if not 1 <= self.hr_interval_s <= 3600:
            raise ValueError(f"hr_interval_s must be 1..3600 seconds, got {self.hr_interval_s}")
        if self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed}")

    @property
    def start_epoch(self) -> int:
        """Epoch seconds of the first day's midnight UTC."""
        return int(
            datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC).timestamp()
        )

    @property
    def end_epoch(self) -> int:
        """Epoch seconds of the midnight UTC just after the last day."""
        return self.start_epoch + self.days * 86_400
