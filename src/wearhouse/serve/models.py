"""Typed answers of the query API: one model per gold row shape, and the page that carries them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class AgeGroup(StrEnum):
    """Age groups of DESIGN.md section 5, plus `unknown` when a user gave no birth date."""

    under_18 = "under 18"
    a18_25 = "18-25"
    a25_35 = "25-35"
    a35_45 = "35-45"
    a45_55 = "45-55"
    a55_65 = "55-65"
    a65_75 = "65-75"
    a75_85 = "75-85"
    a85_95 = "85-95"
    a95_plus = "95+"
    unknown = "unknown"


class Format(StrEnum):
    """How a list is answered: a JSON page, or CSV with the page's rows."""

    json = "json"
    csv = "csv"


class DailySummary(BaseModel):
    """One user's UTC day (gold.user_daily)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "day": "2026-10-02",
                    "step_count": 9412,
                    "avg_bpm": 74.3,
                    "min_bpm": 48.0,
                    "max_bpm": 151.0,
                    "resting_bpm": 56.0,
                    "sleep_minutes": 431.0,
                    "avg_sleep_bpm": 57.9,
                    "readings": 2874,
                    "devices": ["d00001", "d00002"],
                }
            ]
        }
    )

    day: date
    step_count: int = Field(description="Steps, each minute counted once from the best device")
    avg_bpm: float | None
    min_bpm: float | None
    max_bpm: float | None
    resting_bpm: float | None = Field(description="5th percentile of the awake minutes' BPM")
    sleep_minutes: float | None = Field(description="Minutes of the sleeps that ended that day")
    avg_sleep_bpm: float | None
    readings: int = Field(description="Heart-rate readings behind avg_bpm")
    devices: list[str] = Field(description="Ids of the devices whose data made the day")


class AgeGroupMonth(BaseModel):
    """One age group in one month (gold.age_group_monthly)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "month": "2026-10",
                    "age_group": "25-35",
                    "users": 41,
                    "avg_sleep_bpm": 57.4,
                    "avg_monthly_steps": 251734.0,
                    "avg_bpm": 71.2,
                    "readings": 3481210,
                }
            ]
        }
    )

    month: str = Field(description="YYYY-MM", pattern=r"^\d{4}-\d{2}$")
    age_group: AgeGroup = Field(description="The age on the day of each measurement")
    users: int
    avg_sleep_bpm: float | None
    avg_monthly_steps: float | None = Field(description="Mean of each user's monthly step total")
    avg_bpm: float | None
    readings: int | None


class WorkoutBpm(BaseModel):
    """One completed workout session with the BPM of its readings (gold.workout_bpm_summary)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "u0001",
                    "workout_id": "w3",
                    "session_id": "s0002",
                    "start_time": "2026-10-02T07:00:00+00:00",
                    "end_time": "2026-10-02T07:45:00+00:00",
                    "age_group": "25-35",
                    "gender": "female",
                    "city": "Austin",
                    "state": "TX",
                    "min_bpm": 103.0,
                    "avg_bpm": 121.4,
                    "max_bpm": 152.0,
                    "num_recordings": 540,
                }
            ]
        }
    )

    user_id: str
    workout_id: str
    session_id: str
    start_time: datetime
    end_time: datetime
    age_group: AgeGroup | None
    gender: str | None
    city: str | None
    state: str | None
    min_bpm: float | None
    avg_bpm: float | None
    max_bpm: float | None
    num_recordings: int = Field(description="Readings with start_time < ts <= end_time")


class GymSession(BaseModel):
    """One workout session started inside a closed gym visit (gold.gym_activity_summary)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "date": "2026-10-02",
                    "gym_id": "g05",
                    "mac_address": "e8:4f:25:8a:49:58",
                    "user_id": "u0001",
                    "workout_id": "w3",
                    "session_id": "s0002",
                    "login": "2026-10-02T06:40:11+00:00",
                    "logout": "2026-10-02T08:00:50+00:00",
                    "start_time": "2026-10-02T06:45:00+00:00",
                    "end_time": "2026-10-02T07:45:23+00:00",
                    "minutes_in_gym": 80.65,
                    "minutes_exercising": 60.4,
                }
            ]
        }
    )

    date: date
    gym_id: str
    mac_address: str | None = Field(
        description="The device's hardware address; null for analyst tokens (personal data)"
    )
    user_id: str
    workout_id: str
    session_id: str
    login: datetime | None
    logout: datetime | None
    start_time: datetime | None
    end_time: datetime | None
    minutes_in_gym: float | None
    minutes_exercising: float | None


class ActivityHeartRate(BaseModel):
    """Heart rate during one activity, by month, age group, gender and country."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "month": "2026-10",
                    "activity_id": "9",
                    "activity_name": "running",
                    "intensity": "high",
                    "age_group": "25-35",
                    "gender": "female",
                    "country": "Spain",
                    "avg_bpm": 158.2,
                    "min_bpm": 131.0,
                    "max_bpm": 181.0,
                    "readings": 5410,
                    "users": 12,
                }
            ]
        }
    )

    month: str = Field(description="YYYY-MM", pattern=r"^\d{4}-\d{2}$")
    activity_id: str
    activity_name: str | None
    intensity: str | None
    age_group: AgeGroup
    gender: str
    country: str
    avg_bpm: float | None
    min_bpm: float | None
    max_bpm: float | None
    readings: int | None
    users: int | None


class FleetDay(BaseModel):
    """The whole fleet on one UTC day, rolled up from gold.user_daily."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "day": "2026-10-02",
                    "users": 48,
                    "devices": 71,
                    "step_count": 402113,
                    "avg_steps": 8377.4,
                    "avg_bpm": 73.8,
                    "min_bpm": 41.0,
                    "max_bpm": 188.0,
                    "avg_resting_bpm": 57.2,
                    "avg_sleep_minutes": 428.5,
                    "readings": 137952,
                }
            ]
        }
    )

    day: date
    users: int = Field(description="People with data that day")
    devices: int = Field(description="Distinct devices whose data made those people's days")
    step_count: int = Field(description="Steps of all people that day")
    avg_steps: float = Field(description="Steps per person with data that day")
    avg_bpm: float | None = Field(description="Mean BPM over all of the day's readings")
    min_bpm: float | None
    max_bpm: float | None
    avg_resting_bpm: float | None = Field(description="Mean of the people's resting BPM")
    avg_sleep_minutes: float | None = Field(description="Mean sleep of the people who slept")
    readings: int = Field(description="Heart-rate readings behind avg_bpm")


class FleetUser(BaseModel):
    """One user's totals over every day gold.user_daily holds for them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "u0001",
                    "days": 30,
                    "first_day": "2026-10-01",
                    "last_day": "2026-10-30",
                    "step_count": 251734,
                    "avg_daily_steps": 8391.1,
                    "avg_bpm": 72.4,
                    "readings": 86210,
                    "devices": ["d00001", "d00002"],
                }
            ]
        }
    )

    user_id: str
    days: int = Field(description="Days with data")
    first_day: date
    last_day: date = Field(description="The latest day with data")
    step_count: int = Field(description="Steps over all days")
    avg_daily_steps: float
    avg_bpm: float | None = Field(description="Mean BPM over all readings")
    readings: int
    devices: list[str] = Field(description="Ids of the devices whose data made the days")


class FleetUserOrder(StrEnum):
    """Orders of the user list: by id, most steps first, most recently seen first."""

    user_id = "user_id"
    steps = "steps"
    latest = "latest"


Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    """A page of a list: its rows, how many rows match in all, and the link to the next page."""

    items: list[Item]
    total: int = Field(description="Rows matching the filters, over all pages")
    limit: int
    offset: int
    next: str | None = Field(
        description="Path and query of the next page; null on the last page",
        examples=["/v1/workouts/bpm-summary?limit=100&offset=100"],
    )


class UserDailyPage(Page[DailySummary]):
    """A user's days within [start, end], oldest first."""

    user_id: str
    start: date = Field(description="First day of the window (inclusive)")
    end: date = Field(description="Last day of the window (inclusive)")
