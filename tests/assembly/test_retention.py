"""Retention drops whole old partitions only, and the runs/rollups that belonged to them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from modelmix.assembly import assemble_pending
from modelmix.db.partitions import list_partitions
from modelmix.retention import apply_retention, boundary
from tests.assembly.factory import RANKING, TraceBuilder, store

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


def _traffic(engine: Engine) -> dict[str, TraceBuilder]:
    moments = {
        "old": datetime(2026, 10, 27, 9, tzinfo=UTC),      # week of Mon 10-26: ends 11-02
        "edge": datetime(2026, 11, 3, 9, tzinfo=UTC),      # week of Mon 11-02: holds the cutoff 11-05
        "recent": datetime(2026, 11, 17, 9, tzinfo=UTC),   # week of Mon 11-16
        "current": datetime(2026, 11, 24, 9, tzinfo=UTC),  # week of Mon 11-23
    }
    traces = {}
    for label, moment in moments.items():
        t = TraceBuilder(start=moment)
        t.call(t.span(f"task-{label}"))
        traces[label] = t
    store(engine, *traces.values())
    assemble_pending(engine, ranking=RANKING, flush=True)
    return traces


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_the_boundary_is_the_monday_of_the_cutoff_week() -> None:
    assert boundary(NOW, 20) == datetime(2026, 11, 2, tzinfo=UTC)
    with pytest.raises(ValueError):
        boundary(NOW, 0)


def test_retention_drops_only_partitions_whose_whole_week_is_past_the_cutoff(engine: Engine) -> None:
    _traffic(engine)
    result = apply_retention(engine, retention_days=20, skeleton_retention_days=5, now=NOW)
    assert result.call_partitions == ["llm_calls_p20261026"]
    # skeletons: cutoff 11-20 -> boundary Mon 11-16; the existing weeks ending on or before it go.
    assert result.skeleton_partitions == ["span_skeletons_p20261026", "span_skeletons_p20261102"]
    with engine.connect() as conn:
        call_parts = [name for name, _ in list_partitions(conn, "llm_calls")]
        skeleton_parts = [name for name, _ in list_partitions(conn, "span_skeletons")]
    assert "llm_calls_p20261026" not in call_parts
    assert {"llm_calls_p20261102", "llm_calls_p20261116", "llm_calls_p20261123"} <= set(call_parts)
    assert {"span_skeletons_p20261116", "span_skeletons_p20261123"} <= set(skeleton_parts)
    assert "span_skeletons_p20261102" not in skeleton_parts
    # The edge week is older than 20 days in part but kept whole, with its run and rollup.
    assert _count(engine, "SELECT count(*) FROM llm_calls") == 3
    assert _count(engine, "SELECT count(*) FROM task_runs") == 3
    assert result.task_runs_deleted == 1
    assert result.rollups_deleted == 1
    assert _count(engine, "SELECT count(*) FROM task_runs WHERE task = 'task-old'") == 0
    assert _count(engine, "SELECT sum(calls) FROM call_rollups_hourly") == 3
    assert _count(engine, "SELECT count(*) FROM call_rollups_hourly WHERE task = 'task-edge'") == 1
    assert result.traces_forgotten == 1


def test_a_dry_run_reports_without_dropping(engine: Engine) -> None:
    _traffic(engine)
    planned = apply_retention(engine, retention_days=20, skeleton_retention_days=5, now=NOW, dry_run=True)
    assert planned.dry_run
    assert planned.call_partitions == ["llm_calls_p20261026"]
    assert planned.task_runs_deleted == 1
    assert _count(engine, "SELECT count(*) FROM llm_calls") == 4
    assert _count(engine, "SELECT count(*) FROM task_runs") == 4


def test_retention_twice_drops_nothing_more(engine: Engine) -> None:
    _traffic(engine)
    apply_retention(engine, retention_days=20, skeleton_retention_days=5, now=NOW)
    again = apply_retention(engine, retention_days=20, skeleton_retention_days=5, now=NOW)
    assert (again.call_partitions, again.skeleton_partitions, again.task_runs_deleted) == ([], [], 0)
    assert _count(engine, "SELECT count(*) FROM llm_calls") == 3


def test_re_assembling_after_skeletons_expired_keeps_the_task(engine: Engine) -> None:
    traces = _traffic(engine)
    apply_retention(engine, retention_days=200, skeleton_retention_days=5, now=NOW)
    with engine.begin() as conn:
        conn.execute(text("UPDATE trace_activity SET assembled_at = NULL"))
    assemble_pending(engine, ranking=RANKING, flush=True)
    with engine.connect() as conn:
        task = conn.execute(text("SELECT task FROM llm_calls WHERE trace_id = :t"),
                            {"t": traces["old"].trace_id}).scalar_one()
    assert task == "task-old"  # not degraded to the service name
    assert _count(engine, "SELECT count(*) FROM task_runs WHERE task = 'svc'") == 0


def test_naive_now_is_rejected(engine: Engine) -> None:
    with pytest.raises(ValueError):
        apply_retention(engine, retention_days=20, skeleton_retention_days=5, now=NOW.replace(tzinfo=None))


def test_recent_data_survives_retention_at_the_default_settings(engine: Engine) -> None:
    _traffic(engine)
    result = apply_retention(engine, retention_days=400, skeleton_retention_days=14, now=NOW)
    assert result.call_partitions == []
    assert _count(engine, "SELECT count(*) FROM llm_calls") == 4
    assert result.calls_boundary == datetime(2025, 10, 20, tzinfo=UTC)  # Monday of the week of 2025-10-21


def test_skeletons_of_traces_not_yet_assembled_are_kept(engine: Engine) -> None:
    _traffic(engine)
    # A backdated trace arrives old and is not assembled yet: its root span must survive retention.
    late = TraceBuilder(start=datetime(2026, 11, 4, 9, tzinfo=UTC))  # week of Mon 11-02
    late.call(late.span("task-late"))
    store(engine, late)
    result = apply_retention(engine, retention_days=400, skeleton_retention_days=5, now=NOW)
    assert result.skeleton_partitions == ["span_skeletons_p20261026"]
    assemble_pending(engine, ranking=RANKING, flush=True)
    assert _count(engine, "SELECT count(*) FROM task_runs WHERE task = 'task-late'") == 1
