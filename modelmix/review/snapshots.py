"""Stored reviews: every generated review is kept in ``review_snapshots``, exactly as rendered.

A snapshot holds the review data (``jsonb``) and both renderings; reading it back never recomputes
anything, so a past week reads the same after prices change and history is repriced. Rows are
only ever inserted. This module owns every statement on the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, insert, select

from modelmix.db.models import ReviewSnapshotRow

MAX_LISTED = 1_000
SNAPSHOTS: Table = ReviewSnapshotRow.__table__  # type: ignore[assignment]


class SnapshotNotFound(LookupError):
    """No stored review has the requested id."""


@dataclass(frozen=True)
class ReviewSnapshot:
    week: str  # ISO week, e.g. 2026-W47
    generated_at: datetime
    data: dict[str, Any]
    markdown: str
    html: str
    id: int | None = None  # None when the review was generated without storing it


@dataclass(frozen=True)
class SnapshotInfo:
    id: int
    week: str
    generated_at: datetime


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def store_snapshot(engine: Engine, snapshot: ReviewSnapshot) -> ReviewSnapshot:
    """Insert the snapshot; return it with its id."""
    t = SNAPSHOTS
    with engine.begin() as conn:
        new_id = conn.execute(
            insert(t).values(week=snapshot.week, generated_at=snapshot.generated_at, data=snapshot.data,
                             markdown=snapshot.markdown, html=snapshot.html).returning(t.c.id)
        ).scalar_one()
    return ReviewSnapshot(snapshot.week, snapshot.generated_at, snapshot.data, snapshot.markdown, snapshot.html,
                          int(new_id))


def _from_row(row: Any) -> ReviewSnapshot:
    return ReviewSnapshot(week=row.week, generated_at=_utc(row.generated_at), data=row.data,
                          markdown=row.markdown, html=row.html, id=int(row.id))


def load_snapshot(engine: Engine, snapshot_id: int) -> ReviewSnapshot:
    """The stored review with this id; ``SnapshotNotFound`` when there is none."""
    if isinstance(snapshot_id, bool) or not isinstance(snapshot_id, int):
        raise SnapshotNotFound(f"a snapshot id is an integer, got {snapshot_id!r}")
    t = SNAPSHOTS
    with engine.connect() as conn:
        row = conn.execute(select(t).where(t.c.id == snapshot_id)).one_or_none()
    if row is None:
        raise SnapshotNotFound(f"no stored review has id {snapshot_id}")
    return _from_row(row)


def latest_snapshot(engine: Engine, week: str) -> ReviewSnapshot | None:
    """The most recently generated stored review of ``week``, or None."""
    t = SNAPSHOTS
    with engine.connect() as conn:
        row = conn.execute(
            select(t).where(t.c.week == week).order_by(t.c.generated_at.desc(), t.c.id.desc()).limit(1)
        ).one_or_none()
    return None if row is None else _from_row(row)


def list_snapshots(engine: Engine, limit: int = MAX_LISTED) -> list[SnapshotInfo]:
    """Stored reviews, newest week first, newest generation first within a week."""
    t = SNAPSHOTS
    stmt = (select(t.c.id, t.c.week, t.c.generated_at)
            .order_by(t.c.week.desc(), t.c.generated_at.desc(), t.c.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [SnapshotInfo(int(r.id), r.week, _utc(r.generated_at)) for r in conn.execute(stmt)]
