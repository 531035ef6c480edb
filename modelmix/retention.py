"""Retention: drop whole weekly partitions of old calls and skeletons, and the summaries built on them.

- ``llm_calls`` partitions whose week ended ``MODELMIX_RETENTION_DAYS`` ago or earlier are dropped;
  the boundary is therefore the Monday (UTC) that starts the week containing the cutoff.
- ``task_runs`` starting and ``call_rollups_hourly`` hours before that same boundary are deleted, so
  the rollups keep matching the raw rows that remain; so is the assembler bookkeeping
  (``trace_activity``) of assembled traces that began before it.
- ``span_skeletons`` expire sooner (``MODELMIX_SKELETON_RETENTION_DAYS``), also a partition at a time.
  Calls already assembled keep their resolved task; only re-assembling them later loses detail.
  Skeletons of traces still waiting for assembly are never dropped: the skeleton boundary stops at
  the week of the oldest pending trace (backdated traffic, e.g. the demo, arrives old but unassembled).

Runs under the assembler lock (it never races a batch) — from ``modelmix retention`` and once an
hour from the ``modelmix assemble --loop`` service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Engine, text

from modelmix.assembly.locks import take_assembler_lock
from modelmix.db.partitions import drop_partitions_before, list_partitions, week_start


@dataclass(frozen=True)
class RetentionResult:
    """What retention dropped (or, for a dry run, would drop)."""

    calls_boundary: datetime
    skeletons_boundary: datetime
    call_partitions: list[str] = field(default_factory=list)
    skeleton_partitions: list[str] = field(default_factory=list)
    task_runs_deleted: int = 0
    rollups_deleted: int = 0
    traces_forgotten: int = 0
    dry_run: bool = False


def boundary(now: datetime, days: int) -> datetime:
    """Start of the week (Monday 00:00 UTC) containing ``now - days``: everything before it goes."""
    if days < 1:
        raise ValueError(f"retention must be at least 1 day, got {days}")
    monday: date = week_start(now - timedelta(days=days))
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


def _spare_pending_traces(conn: Connection, cutoff: datetime) -> datetime:
    """Move ``cutoff`` back to the week of the oldest trace not yet assembled, if that is earlier."""
    oldest = conn.execute(
        text("SELECT min(first_start_time) FROM trace_activity WHERE assembled_at IS NULL")
    ).scalar_one()
    if oldest is None:
        return cutoff
    monday = week_start(oldest)
    return min(cutoff, datetime(monday.year, monday.month, monday.day, tzinfo=UTC))


# Rollups derived from the deleted runs and calls (a day of the run-cost histogram goes once it
# lies wholly before the boundary).
_DELETE_DERIVED = (
    "DELETE FROM task_run_rollups_hourly WHERE hour < :cut",
    "DELETE FROM task_run_cost_days WHERE day + interval '1 day' <= :cut",
    "DELETE FROM call_reprice_rollups_hourly WHERE hour < :cut",
    "DELETE FROM call_model_names_hourly WHERE hour < :cut",
)


def _expired(conn: Connection, table: str, cutoff: datetime) -> list[str]:
    names = []
    for name, monday in list_partitions(conn, table):
        if datetime(monday.year, monday.month, monday.day, tzinfo=UTC) + timedelta(days=7) <= cutoff:
            names.append(name)
    return names


def apply_retention(
    engine: Engine,
    *,
    retention_days: int,
    skeleton_retention_days: int,
    now: datetime | None = None,
    dry_run: bool = False,
) -> RetentionResult:
    """Drop expired partitions and delete the runs, rollups and bookkeeping that belonged to them."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    calls_cut = boundary(moment, retention_days)
    skeletons_cut = boundary(moment, skeleton_retention_days)
    with engine.begin() as conn:
        take_assembler_lock(conn)
        skeletons_cut = _spare_pending_traces(conn, skeletons_cut)
        if dry_run:
            params = {"cut": calls_cut}
            return RetentionResult(
                calls_cut, skeletons_cut,
                call_partitions=_expired(conn, "llm_calls", calls_cut),
                skeleton_partitions=_expired(conn, "span_skeletons", skeletons_cut),
                task_runs_deleted=conn.execute(
                    text("SELECT count(*) FROM task_runs WHERE start_time < :cut"), params).scalar_one(),
                rollups_deleted=conn.execute(
                    text("SELECT count(*) FROM call_rollups_hourly WHERE hour < :cut"), params).scalar_one(),
                traces_forgotten=conn.execute(text(
                    "SELECT count(*) FROM trace_activity WHERE first_start_time < :cut "
                    "AND assembled_at IS NOT NULL"), params).scalar_one(),
                dry_run=True,
            )
        call_partitions = drop_partitions_before(conn, "llm_calls", calls_cut)
        skeleton_partitions = drop_partitions_before(conn, "span_skeletons", skeletons_cut)
        params = {"cut": calls_cut}
        runs = conn.execute(text("DELETE FROM task_runs WHERE start_time < :cut"), params).rowcount
        rollups = conn.execute(text("DELETE FROM call_rollups_hourly WHERE hour < :cut"), params).rowcount
        for statement in _DELETE_DERIVED:
            conn.execute(text(statement), params)
        traces = conn.execute(text(
            "DELETE FROM trace_activity WHERE first_start_time < :cut AND assembled_at IS NOT NULL"
        ), params).rowcount
    return RetentionResult(
        calls_cut, skeletons_cut, call_partitions=call_partitions, skeleton_partitions=skeleton_partitions,
        task_runs_deleted=int(runs or 0), rollups_deleted=int(rollups or 0), traces_forgotten=int(traces or 0),
    )
