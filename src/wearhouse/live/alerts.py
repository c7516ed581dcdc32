"""Alert rules of the live feed: a personal heart-rate range, sustained excursions, silent devices.

The rules, in plain numbers (docs/live-feed.md explains the choices):

- Maximum heart rate (Tanaka): 208 - 0.7 x age, with the midpoint of the user's current age
  group as age; 40 years when the age is unknown.
- High limit: 90 % of the maximum for readings at rest; a reading that names an exercise
  (`activity_id` set) is high only above the maximum itself.
- Low limit: the user's latest resting rate minus 15 bpm, never below 35; 40 bpm when the
  resting rate is unknown.
- Sustained: every reading over at least 60 s of event time is out of range on the same side,
  with no gap longer than 120 s between two readings. One alert per episode; a reading back in
  range re-arms it. Readings older than the device's latest are ignored (the rule needs order),
  and readings outside 20-250 bpm (quarantined in silver) never count.
- Silent device: a device that sent readings while the feed ran has sent none for a configured
  wall-clock time (5 minutes by default); one alert per silence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

AGE_UNKNOWN = 40.0
LOW_UNKNOWN = 40.0
LOW_FLOOR = 35.0
BELOW_RESTING = 15.0
AT_REST_SHARE = 0.9
SUSTAINED = timedelta(seconds=60)
MAX_GAP = timedelta(seconds=120)
VALID_BPM = (20.0, 250.0)

AGE_MIDPOINTS = {
    "under 18": 15.0,
    "18-25": 21.5,
    "25-35": 30.0,
    "35-45": 40.0,
    "45-55": 50.0,
    "55-65": 60.0,
    "65-75": 70.0,
    "75-85": 80.0,
    "85-95": 90.0,
    "95+": 97.0,
}
"""The age taken for each gold age group (DESIGN.md section 5)."""


@dataclass(frozen=True, slots=True)
class PersonalRange:
    """The heart rates that are normal for one person: [low, high] at rest, up to `exercise_high`
    during an exercise."""

    low: float
    high: float
    exercise_high: float

    def limit(self, exercising: bool) -> float:
        """The high limit that applies to a reading."""
        return self.exercise_high if exercising else self.high

    def label(self) -> str:
        """The range as people read it, e.g. `48-162`."""
        return f"{self.low:.0f}-{self.high:.0f}"


def max_heart_rate(age: float) -> float:
    """Age-predicted maximum heart rate (Tanaka, Monahan and Seals, 2001)."""
    return 208.0 - 0.7 * age


def personal_range(resting_bpm: float | None, age: float | None) -> PersonalRange:
    """The range of a person from their resting rate and age; defaults where either is unknown."""
    maximum = max_heart_rate(AGE_UNKNOWN if age is None else age)
    low = LOW_UNKNOWN if resting_bpm is None else max(LOW_FLOOR, resting_bpm - BELOW_RESTING)
    return PersonalRange(
        low=round(low), high=round(AT_REST_SHARE * maximum), exercise_high=round(maximum)
    )


@dataclass(frozen=True, slots=True)
class HeartRateAlert:
    """A sustained excursion: out of range on `side` from `since` to `ts`."""

    side: str  # "high" or "low"
    since: datetime
    ts: datetime
    bpm: float
    limit: float
    range: PersonalRange

    @property
    def kind(self) -> str:
        """`heart_rate_high` or `heart_rate_low`."""
        return f"heart_rate_{self.side}"

    def message(self) -> str:
        """What a person reads on the dashboard."""
        word = "above" if self.side == "high" else "below"
        seconds = (self.ts - self.since).total_seconds()
        return (
            f"Heart rate {word} {self.limit:.0f} bpm for {seconds:.0f} s "
            f"(personal range {self.range.label()})"
        )


@dataclass(slots=True)
class _Excursion:
    side: str
    since: datetime
    fired: bool


@dataclass(slots=True)
class HeartRateWatch:
    """The sustained-excursion rule for one device's readings, fed in event-time order."""

    latest: datetime | None = None
    excursion: _Excursion | None = None

    def observe(
        self, ts: datetime, bpm: float, personal: PersonalRange, exercising: bool = False
    ) -> HeartRateAlert | None:
        """Take one reading; returns an alert when it completes a sustained minute out of range."""
        if not VALID_BPM[0] <= bpm <= VALID_BPM[1]:
            return None
        if self.latest is not None and ts <= self.latest:
            return None
        gap = None if self.latest is None else ts - self.latest
        self.latest = ts
        limit = personal.limit(exercising)
        side = "high" if bpm > limit else "low" if bpm < personal.low else None
        if side is None:
            self.excursion = None  # back in range: the next excursion is a new episode
            return None
        current = self.excursion
        if current is None or current.side != side:
            self.excursion = current = _Excursion(side, ts, fired=False)
        elif gap is not None and gap > MAX_GAP:
            current.since = ts  # no evidence for the time in between; still the same episode
        if current.fired or ts - current.since < SUSTAINED:
            return None
        current.fired = True
        bound = limit if side == "high" else personal.low
        return HeartRateAlert(side, current.since, ts, bpm, bound, personal)


@dataclass(frozen=True, slots=True)
class Silence:
    """A device that has sent nothing since `last_heard` (Unix seconds)."""

    device_id: str
    user_id: str | None
    last_heard: float
    silent_s: float


@dataclass
class SilenceWatch:
    """Which devices went quiet: each device heard from is reported once when it stops sending."""

    after_s: float
    _heard: dict[str, tuple[float, str | None]] = field(default_factory=dict)

    def heard(self, device_id: str, user_id: str | None, now: float) -> None:
        """A reading of the device arrived at wall-clock time `now`."""
        self._heard[device_id] = (now, user_id)

    def silent(self, now: float) -> list[Silence]:
        """Devices silent for at least `after_s` at `now`, not reported before; forgets them
        until they are heard again."""
        found = [
            Silence(device, user, last, now - last)
            for device, (last, user) in self._heard.items()
            if now - last >= self.after_s
        ]
        for item in found:
            del self._heard[item.device_id]
        return found

    def clear(self) -> None:
        """Forget every device (nobody was listening, so their last times are unknown)."""
        self._heard.clear()
