"""People and their devices: profile CDC from the phone app and device registrations."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from wearhouse.contracts.base import Id, Record, Timestamp


class Users(Record):
    """`users`: one profile change (create, update or delete)."""

    user_id: Id
    op: Literal["create", "update", "delete"]
    updated_at: Timestamp
    dob: date | None = None
    gender: str | None = None
    height_cm: float | None = Field(default=None, gt=0, lt=300)
    weight_kg: float | None = Field(default=None, gt=0, lt=700)
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    timezone: str | None = None


class Devices(Record):
    """`devices`: a device registered to a user."""

    device_id: Id
    user_id: Id
    mac_address: str | None = None
    model: str | None = None
    kind: str | None = None
    registered_at: Timestamp | None = None
