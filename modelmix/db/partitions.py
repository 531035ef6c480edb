"""Weekly range partitions for the time-partitioned tables, created on demand and dropped for retention.

Partitions are named ``<table>_pYYYYMMDD`` after the Monday (UTC) that starts their week. The
writer calls ``ensure_partitions`` for the weeks a batch touches (cached, so the hot path costs a
set lookup); ``modelmix up`` pre-creates the coming weeks; retention drops whole partitions.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, text

PARTITIONED_TABLES = ("llm_calls", "span_skeletons")
_NAME = re.compile(r"^(?P<table>[a-z_]+)_p(?P<day>\d{8})$")


def week_start(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def partition_name(table: str, monday: date) -> str:
    return f"{table}_p{monday:%Y%m%d}"


class PartitionManager:
    """Remembers which partitions exist so that ensuring them is cheap after the first time."""

    def __init__(self) -> None:
        self._known: set[tuple[str, date]] = set()
        self._lock = threading.Lock()

    def ensure(self, conn: Connection, table: str, moments: Iterable[datetime]) -> None:
        mondays = {week_start(m) for m in moments}
        with self._lock:
            missing = [d for d in mondays if (table, d) not in self._known]
        for monday in sorted(missing):
            create_partition(conn, table, monday)
            with self._lock:
                self._known.add((table, monday))

    def forget(self) -> None:
        with self._lock:
            self._known.clear()


def create_partition(conn: Connection, table: str, monday: date) -> None:
    if table not in PARTITIONED_TABLES:
        raise ValueError(f"{table} is not partitioned")
    name = partition_name(table, monday)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    end = start + timedelta(days=7)
    # A concurrent creator may win the race; IF NOT EXISTS plus a lock keeps it safe.
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": name})
    conn.execute(
        text(
            f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{table}" '
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    )


def ensure_upcoming(conn: Connection, now: datetime, weeks_ahead: int = 2, weeks_back: int = 1) -> None:
    """Create partitions around ``now`` so that ordinary traffic never waits on DDL."""
    for table in PARTITIONED_TABLES:
        for offset in range(-weeks_back, weeks_ahead + 1):
            create_partition(conn, table, week_start(now + timedelta(weeks=offset)))


def list_partitions(conn: Connection, table: str) -> list[tuple[str, date]]:
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t ORDER BY c.relname"
        ),
        {"t": table},
    ).scalars()
    found: list[tuple[str, date]] = []
    for name in rows:
        match = _NAME.match(name)
        if match and match["table"] == table:
            found.append((name, datetime.strptime(match["day"], "%Y%m%d").date()))
    return found


def drop_partitions_before(conn: Connection, table: str, cutoff: datetime) -> list[str]:
    """Drop every partition whose whole week ends on or before ``cutoff``; return their names."""
    dropped: list[str] = []
    for name, monday in list_partitions(conn, table):
        week_end = datetime(monday.year, monday.month, monday.day, tzinfo=UTC) + timedelta(days=7)
        if week_end <= cutoff:
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
            dropped.append(name)
    return dropped
