"""ISO weeks as review windows: ``2026-W47`` is Monday 2026-11-16 00:00 UTC up to the next Monday.

``parse_iso_week`` is strict on purpose (the value comes from a command line or a URL): four-digit
year, ``-W``, two-digit week that exists in that ISO year. Anything else is a ``ValueError`` whose
message says what was expected, quoting (a bounded part of) what was given.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

WEEK = timedelta(days=7)
_ISO_WEEK = re.compile(r"(?P<year>[0-9]{4})-[Ww](?P<week>[0-9]{2})")
_SHOWN_CHARS = 40


def weeks_in_year(year: int) -> int:
    """52 or 53: December 28 always falls in the last ISO week of its year."""
    return date(year, 12, 28).isocalendar().week


def _shown(text: object) -> str:
    shown = repr(text)
    return shown if len(shown) <= _SHOWN_CHARS else shown[:_SHOWN_CHARS] + "…"


def parse_iso_week(text: str) -> tuple[datetime, datetime]:
    """``(since, until)`` in UTC for an ISO week such as ``2026-W47``; ValueError when it is not one."""
    if not isinstance(text, str):
        raise ValueError(f"an ISO week must be text such as 2026-W47, got {type(text).__name__}")
    match = _ISO_WEEK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{_shown(text)} is not an ISO week; expected YYYY-Www, e.g. 2026-W47")
    year, week = int(match["year"]), int(match["week"])
    if year < 1 or year > 9998:
        raise ValueError(f"{_shown(text)} is not an ISO week; the year must be between 0001 and 9998")
    last = weeks_in_year(year)
    if not 1 <= week <= last:
        raise ValueError(f"{_shown(text)} is not an ISO week; {year} has weeks W01 to W{last}")
    monday = date.fromisocalendar(year, week, 1)
    since = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return since, since + WEEK


def iso_week_of(moment: datetime) -> str:
    """The ISO week (``YYYY-Www``) a UTC moment falls in; naive moments are UTC."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    iso = moment.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def last_complete_week(now: datetime | None = None) -> str:
    """The most recent ISO week that has ended (the one before the week ``now`` is in)."""
    now = datetime.now(UTC) if now is None else now
    return iso_week_of(now - WEEK)


def normalize_week(text: str) -> str:
    """The canonical spelling (``2026-w7`` is rejected, ``2026-w07`` becomes ``2026-W07``)."""
    since, _ = parse_iso_week(text)
    return iso_week_of(since)
