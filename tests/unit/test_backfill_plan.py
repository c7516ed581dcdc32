"""How a backfill range is cut into partitions and which ranges are refused."""

from __future__ import annotations

from datetime import date

import pytest

from wearhouse.orchestration.backfill import BackfillError, By, check_range, clip, partitions


def test_days_are_one_partition_each_in_order() -> None:
    assert partitions(date(2026, 2, 27), date(2026, 3, 2), By.day) == [
        (date(2026, 2, 27), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 1)),
        (date(2026, 3, 2), date(2026, 3, 2)),
    ]


def test_months_are_cut_at_month_ends_and_clipped_to_the_range() -> None:
    assert partitions(date(2024, 1, 20), date(2024, 3, 5), By.month) == [
        (date(2024, 1, 20), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 5)),
    ]
    assert partitions(date(2024, 12, 31), date(2025, 1, 1), By.month) == [
        (date(2024, 12, 31), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 1, 1)),
    ]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), "is before --start"),
        (date(2026, 3, 1), date(2026, 3, 11), "is in the future (today is 2026-03-10 UTC)"),
    ],
)
def test_bad_ranges_are_refused(start: date, end: date, message: str) -> None:
    with pytest.raises(BackfillError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_range(start, end, today=date(2026, 3, 10))


def test_today_is_a_valid_end() -> None:
    check_range(date(2026, 3, 1), date(2026, 3, 10), today=date(2026, 3, 10))


def test_ranges_are_clipped_to_the_days_with_data() -> None:
    span = (date(2026, 3, 3), date(2026, 3, 6))
    assert clip(date(2026, 3, 1), date(2026, 3, 4), span) == (date(2026, 3, 3), date(2026, 3, 4))
    with pytest.raises(BackfillError, match="readings cover 2026-03-03 to 2026-03-06"):
        clip(date(2026, 3, 7), date(2026, 3, 9), span)
    with pytest.raises(BackfillError, match="wearhouse ingest"):
        clip(date(2026, 3, 7), date(2026, 3, 9), None)
