"""ISO week parsing: real weeks become UTC windows, everything else a ValueError that says what is expected."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modelmix.review import iso_week_of, last_complete_week, parse_iso_week
from modelmix.review.weeks import normalize_week, weeks_in_year


def test_a_week_is_monday_midnight_to_the_next_monday_utc() -> None:
    assert parse_iso_week("2026-W47") == (datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC))


def test_week_one_can_start_in_the_previous_calendar_year() -> None:
    # 2026-01-01 is a Thursday, so ISO week 1 of 2026 starts on Monday 2025-12-29.
    assert parse_iso_week("2026-W01")[0] == datetime(2025, 12, 29, tzinfo=UTC)


def test_2026_has_a_week_53_and_2025_does_not() -> None:
    assert weeks_in_year(2026) == 53 and weeks_in_year(2025) == 52
    assert parse_iso_week("2026-W53") == (datetime(2026, 12, 28, tzinfo=UTC), datetime(2027, 1, 4, tzinfo=UTC))
    with pytest.raises(ValueError, match="2025 has weeks W01 to W52"):
        parse_iso_week("2025-W53")


@pytest.mark.parametrize("text, message", [
    ("2026-W54", "2026 has weeks W01 to W53"),
    ("2026-W00", "2026 has weeks W01 to W53"),
    ("2026-W7", "expected YYYY-Www"),
    ("2026W47", "expected YYYY-Www"),
    ("2026-47", "expected YYYY-Www"),
    ("2026-11-16", "expected YYYY-Www"),
    ("last week", "expected YYYY-Www"),
    ("", "expected YYYY-Www"),
    ("0000-W01", "between 0001 and 9998"),
    ("2026-W47'; DROP TABLE review_snapshots; --", "expected YYYY-Www"),
    ("2026-W47\x00", "expected YYYY-Www"),
    ("２０２６-W47", "expected YYYY-Www"),  # full-width digits are not ISO digits
])
def test_anything_else_is_a_clear_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_iso_week(text)


def test_a_huge_value_is_not_echoed_in_full() -> None:
    with pytest.raises(ValueError) as caught:
        parse_iso_week("x" * 10_000)
    assert len(str(caught.value)) < 150


def test_non_text_is_rejected() -> None:
    with pytest.raises(ValueError, match="must be text"):
        parse_iso_week(202647)  # type: ignore[arg-type]


def test_spelling_is_normalized() -> None:
    assert normalize_week(" 2026-w07 ") == "2026-W07"


def test_week_of_a_moment_and_the_last_complete_week() -> None:
    assert iso_week_of(datetime(2026, 11, 22, 23, 59, tzinfo=UTC)) == "2026-W47"
    assert iso_week_of(datetime(2026, 11, 23, 0, 0, tzinfo=UTC)) == "2026-W48"
    assert iso_week_of(datetime(2027, 1, 1, 12, 0)) == "2026-W53"  # naive is UTC
    assert last_complete_week(datetime(2026, 11, 23, 6, 0, tzinfo=UTC)) == "2026-W47"
    assert last_complete_week(datetime(2026, 11, 29, 23, 0, tzinfo=UTC)) == "2026-W47"
