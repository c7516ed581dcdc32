"""The headline questions over gold, as parameterised DuckDB queries on the published Delta tables."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa


def latest_month(con: duckdb.DuckDBPyConnection) -> date | None:
    """The most recent month that has gold data."""
    [(month,)] = con.execute("select max(month) from gold.age_group_monthly").fetchall()
    return month


def age_groups_for_month(con: duckdb.DuckDBPyConnection, month: date) -> pa.Table:
    """Average sleeping BPM, monthly steps and BPM by age group for one month."""
    return con.sql(
        """
        select age_group, users, round(avg_sleep_bpm, 1) as avg_sleep_bpm,
               round(avg_step_count) as avg_monthly_steps, round(avg_bpm, 1) as avg_bpm
        from gold.age_group_monthly
        where month = $month
        order by case age_group when 'under 18' then 0 when '95+' then 99 when 'unknown' then 100
                 else cast(split_part(age_group, '-', 1) as integer) end
        """,
        params={"month": month},
    ).to_arrow_table()


def busiest_user(con: duckdb.DuckDBPyConnection) -> str | None:
    """A user to show: the one with the most days of data (ties: lowest id)."""
    rows = con.execute(
        "select user_id from gold.user_daily group by user_id order by count(*) desc, user_id limit 1"
    ).fetchall()
    return rows[0][0] if rows else None


def user_daily(con: duckdb.DuckDBPyConnection, user_id: str, days: int = 30) -> pa.Table:
    """One user's daily summary for the last `days` days that have data."""
    return con.sql(
        """
        with last_day as (select max(day) as last from gold.user_daily where user_id = $user)
        select day, step_count as steps, round(avg_bpm, 1) as bpm, round(resting_bpm, 1) as resting,
               round(sleep_minutes) as sleep_min, round(avg_sleep_bpm, 1) as sleep_bpm,
               array_to_string(devices, ', ') as devices
        from gold.user_daily, last_day
        where user_id = $user and day > last - $days
        order by day
        """,
        params={"user": user_id, "days": days},
    ).to_arrow_table()


def workout_summary(con: duckdb.DuckDBPyConnection, limit: int = 10) -> pa.Table:
    """The most recent workouts with their min/avg/max BPM (narrow enough for an 80-column terminal)."""
    return con.sql(
        """
        select user_id as user, workout_id as workout, strftime(start_time, '%m-%d %H:%M') as start,
               round((epoch(end_time) - epoch(start_time)) / 60) as min, age_group as age,
               min_bpm as low, round(avg_bpm, 1) as avg, max_bpm as high, num_recordings as n
        from gold.workout_bpm_summary
        order by start_time desc, user_id
        limit $limit
        """,
        params={"limit": limit},
    ).to_arrow_table()


def gym_summary(con: duckdb.DuckDBPyConnection, limit: int = 10) -> pa.Table:
    """Time in the gym and time exercising, by gym and day, most recent first."""
    return con.sql(
        """
        select date, gym_id, count(distinct user_id) as users, count(*) as workouts,
               round(sum(minutes_in_gym)) as minutes_in_gym,
               round(sum(minutes_exercising)) as minutes_exercising
        from gold.gym_activity_summary
        group by date, gym_id
        order by date desc, gym_id
        limit $limit
        """,
        params={"limit": limit},
    ).to_arrow_table()


def quarantine_counts(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Rejected records per stream, with one example reason."""
    return con.sql(
        """
        select stream, count(*) as records, min(reason) as example_reason
        from silver.quarantine
        group by stream
        order by records desc, stream
        """
    ).to_arrow_table()
