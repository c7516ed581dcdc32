"""Who wears which device, and each user's personal heart-rate range, from gold and live registrations.

Gold gives the devices (gold.dim_devices), the latest resting rate (gold.user_daily) and the age
group of the current profile (gold.dim_users); devices registered since the last transform are
learnt from the `devices` records the feed sees committed, and win over gold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import duckdb

from wearhouse.lake.read import open_table, register, table_versions
from wearhouse.live.alerts import AGE_MIDPOINTS, PersonalRange, personal_range
from wearhouse.settings import Settings

log = logging.getLogger(__name__)

TABLES = ("dim_devices", "user_daily", "dim_users")
QUERIES = {
    "dim_devices": "select device_id, user_id from dim_devices where user_id is not null",
    "user_daily": """
        select user_id, arg_max(resting_bpm, day) as resting_bpm
        from user_daily where resting_bpm is not null group by user_id
    """,
    "dim_users": "select user_id, age_group from dim_users where is_current",
}

Versions = dict[str, int | None]


@dataclass
class Directory:
    """Device -> user, and what each user's range is made of."""

    devices: dict[str, str] = field(default_factory=dict)
    resting: dict[str, float] = field(default_factory=dict)
    ages: dict[str, float] = field(default_factory=dict)
    versions: Versions = field(default_factory=dict)
    registered: dict[str, str] = field(default_factory=dict)
    _ranges: dict[str | None, PersonalRange] = field(default_factory=dict)

    def user_of(self, device_id: str) -> str | None:
        """The user wearing the device, or None when unknown."""
        return self.registered.get(device_id) or self.devices.get(device_id)

    def register(self, device_id: str, user_id: str) -> None:
        """A device registered live (a committed `devices` record)."""
        self.registered[device_id] = user_id

    def range_of(self, user_id: str | None) -> PersonalRange:
        """The user's personal range (defaults for unknown users)."""
        found = self._ranges.get(user_id)
        if found is None:
            resting = self.resting.get(user_id) if user_id else None
            age = self.ages.get(user_id) if user_id else None
            found = self._ranges[user_id] = personal_range(resting, age)
        return found

    def replaced_by(self, loaded: Directory) -> Directory:
        """A newly loaded gold directory that keeps the live registrations gold does not know."""
        loaded.registered = {d: u for d, u in self.registered.items() if loaded.devices.get(d) != u}
        return loaded


def gold_versions(settings: Settings) -> Versions:
    """The current Delta version of the tables the directory reads (None when not built)."""
    return table_versions("gold", TABLES, settings)


def load_directory(settings: Settings) -> Directory:
    """Read the directory from the current version of the gold tables; missing tables are empty."""
    con = duckdb.connect(config={"threads": 1})
    con.execute("set TimeZone = 'UTC'")
    directory = Directory()
    try:
        for table in TABLES:
            delta = open_table("gold", table, settings)
            directory.versions[table] = None if delta is None else delta.version()
            if delta is None:
                continue
            register(con, table, delta)
            rows = con.execute(QUERIES[table]).fetchall()
            if table == "dim_devices":
                directory.devices = {str(d): str(u) for d, u in rows}
            elif table == "user_daily":
                directory.resting = {str(u): float(r) for u, r in rows}
            else:
                directory.ages = {str(u): AGE_MIDPOINTS[g] for u, g in rows if g in AGE_MIDPOINTS}
    finally:
        con.close()
    log.info(
        "live feed knows %d devices, %d resting rates, %d ages from gold",
        len(directory.devices),
        len(directory.resting),
        len(directory.ages),
    )
    return directory
