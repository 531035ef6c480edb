"""The query benchmark's data generator, query suite and storage figures at a tiny scale.

The generated history is checked against the database itself (sums and counts in SQL), not against
the generator's own bookkeeping: every call belongs to exactly one task run with the same totals,
the rollups add up to the calls, unknown prices stay NULL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from benchmarks.datagen import day_budgets, generate
from benchmarks.environment import with_database
from benchmarks.queries import find_probe, run_suite
from benchmarks.query_suite import CASES
from benchmarks.storage import measure_storage
from modelmix.db.engine import libpq_url

CALLS = 8_000
DAYS = 3


@pytest.fixture(scope="module")
def history(pg_server_url: str, template_db: str) -> Iterator[tuple[str, Any]]:
    """One small generated history shared by this module's tests (generation is the slow part)."""
    import uuid

    name = f"mm_t_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    url = with_database(pg_server_url, name)
    try:
        yield url, generate(url, calls=CALLS, days=DAYS, workers=2)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _one(url: str, sql: str, params: tuple[Any, ...] = ()) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def test_day_budgets_cover_the_days_and_the_total() -> None:
    from datetime import UTC, datetime

    budgets = day_budgets(70_000, 14, datetime(2026, 11, 30, tzinfo=UTC))  # a Monday
    assert len(budgets) == 14
    assert abs(sum(b[2] for b in budgets) - 70_000) <= 14
    weekday = next(b[2] for b in budgets if datetime.fromisoformat(b[1]).weekday() == 2)
    weekend = next(b[2] for b in budgets if datetime.fromisoformat(b[1]).weekday() == 6)
    assert weekend == pytest.approx(0.6 * weekday, rel=0.01)


def test_the_history_has_the_requested_size_and_spans_the_days(history: tuple[str, Any]) -> None:
    url, generated = history
    calls = _one(url, "SELECT count(*) FROM llm_calls")
    assert calls == generated.calls and CALLS <= calls < CALLS + 10  # a run is not split across days
    first, last = _one(url, "SELECT min(start_time), max(start_time) FROM llm_calls")
    assert first >= generated.since and (last - first).total_seconds() > (DAYS - 1) * 86_400


def test_every_call_belongs_to_one_task_run_with_the_same_totals(history: tuple[str, Any]) -> None:
    url, _ = history
    mismatched = _one(url, """
        SELECT count(*) FROM task_runs r
        JOIN (SELECT trace_id, task, count(*) AS calls, sum(input_tokens) AS input_tokens,
                     sum(cost_usd) AS priced, count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced,
                     count(*) FILTER (WHERE status = 'error') AS errors
              FROM llm_calls GROUP BY 1, 2) c USING (trace_id, task)
        WHERE r.calls <> c.calls OR r.input_tokens IS DISTINCT FROM c.input_tokens
           OR r.priced_cost_usd IS DISTINCT FROM c.priced OR r.unpriced_calls <> c.unpriced
           OR r.errors <> c.errors
           OR (r.cost_usd IS NULL) <> (c.unpriced > 0)""")
    assert mismatched == 0
    assert _one(url, "SELECT sum(calls) FROM task_runs") == _one(url, "SELECT count(*) FROM llm_calls")
    orphans = _one(url, "SELECT count(*) FROM llm_calls c WHERE NOT EXISTS "
                        "(SELECT 1 FROM task_runs r WHERE r.trace_id = c.trace_id AND r.task = c.task)")
    assert orphans == 0


def test_escalations_errors_and_unpriced_calls_are_all_present(history: tuple[str, Any]) -> None:
    url, _ = history
    explicit, inferred = _one(url, "SELECT count(*) FILTER (WHERE escalation = 'explicit'), "
                                   "count(*) FILTER (WHERE escalation = 'inferred') FROM task_runs")
    assert explicit > 0 and inferred > 0
    assert _one(url, "SELECT count(*) FROM llm_calls WHERE status = 'error'") > 0
    unpriced_acme = _one(url, "SELECT count(*) FILTER (WHERE cost_usd IS NOT NULL) FROM llm_calls "
                              "WHERE canonical_model = 'acme-internal-7b'")
    assert unpriced_acme == 0  # a model no price list knows stays unpriced, never $0
    assert _one(url, "SELECT count(*) FROM llm_calls WHERE canonical_model = 'acme-internal-7b'") > 0
    assert _one(url, "SELECT count(*) FROM llm_calls WHERE call_kind = 'embedding'") > 0


def test_the_history_holds_evidence_and_heuristic_downgrade_candidates(history: tuple[str, Any]) -> None:
    from benchmarks.query_suite import _pricing, dashboard_window
    from modelmix.analytics import downgrade_candidates
    from modelmix.db.engine import make_engine, sqlalchemy_url

    url, _ = history
    engine = make_engine(sqlalchemy_url(url))
    try:
        book, tiers = _pricing(engine)
        found = downgrade_candidates(engine, dashboard_window(7), book, tiers)
    finally:
        engine.dispose()
    kinds = {c.kind for c in found}
    assert kinds == {"evidence", "heuristic"}  # the candidate queries have real work to do
    assert ("classify-ticket", "gpt-4o", "gpt-4o-mini") in {(c.task, c.model, c.suggested_model) for c in found}


def test_the_rollups_add_up_to_the_calls_of_their_hours(history: tuple[str, Any]) -> None:
    url, generated = history
    in_window = _one(url, "SELECT count(*), sum(cost_usd) FROM llm_calls WHERE start_time >= %s AND start_time < %s",
                     (generated.since, generated.until))
    rolled = _one(url, "SELECT sum(calls), sum(cost_usd) FROM call_rollups_hourly")
    assert int(rolled[0]) == in_window[0] and rolled[1] == in_window[1]
    assert _one(url, "SELECT count(DISTINCT tier) FROM call_rollups_hourly WHERE tier <> ''") == 3


def test_every_query_of_the_suite_runs_on_the_history(history: tuple[str, Any]) -> None:
    url, _ = history
    probe = find_probe(url)
    assert probe.task and len(probe.trace_id) == 32
    results = run_suite(url, repeat=1, windows=(7,))
    assert {r["query"] for r in results} == {c.name for c in CASES}
    failed = [(r["query"], r["error"]) for r in results if r["error"]]
    assert failed == []
    assert all(r["runs"] == 2 and r["first_s"] > 0 for r in results)


def test_storage_counts_rows_and_bytes_of_every_table(history: tuple[str, Any]) -> None:
    url, _ = history
    storage = measure_storage(libpq_url(url))
    calls = _one(url, "SELECT count(*) FROM llm_calls")
    assert storage["calls"] == calls
    calls_table = storage["tables"]["llm_calls"]
    assert calls_table["rows"] == calls and calls_table["index_bytes"] > 0 and calls_table["heap_bytes"] > 0
    assert storage["bytes_per_call"] == calls_table["total_bytes"] / calls
    assert storage["bytes_per_call_all_tables"] > storage["bytes_per_call"]
    runs_table = storage["tables"]["task_runs"]  # a plain table, not partitioned
    assert runs_table["rows"] == _one(url, "SELECT count(*) FROM task_runs") > 0
    assert runs_table["heap_bytes"] > 0 and runs_table["index_bytes"] > 0
    assert "pk_task_runs" in runs_table["indexes"]
    assert storage["tables"]["call_rollups_hourly"]["total_bytes"] > 0
    assert "llm_calls_pkey" in calls_table["indexes"]  # partition indexes, named without the week
    assert sum(calls_table["indexes"].values()) == calls_table["index_bytes"]


def test_the_suite_times_only_the_named_cases_and_refuses_unknown_names(history: tuple[str, Any]) -> None:
    url, _ = history
    results = run_suite(url, repeat=1, windows=(7, 30), names=("task_costs", "weekly_review"))
    assert sorted((r["query"], r["window_days"]) for r in results) == [
        ("task_costs", 7), ("task_costs", 30), ("weekly_review", None)]
    with pytest.raises(SystemExit, match="unknown query case.*no_such_query"):
        run_suite(url, repeat=1, names=("task_costs", "no_such_query"))


def test_the_generated_history_has_every_rollup_equal_to_its_source(history: tuple[str, Any]) -> None:
    url, _ = history
    runs = _one(url, "SELECT count(*), sum(calls) FROM task_runs")
    rolled_runs = _one(url, "SELECT sum(runs), sum(calls) FROM task_run_rollups_hourly")
    assert tuple(int(v) for v in rolled_runs) == tuple(runs)
    priced = _one(url, "SELECT count(*) FROM task_runs WHERE cost_usd IS NOT NULL")
    assert int(_one(url, "SELECT sum(runs) FROM task_run_cost_days")) == priced
    llm_calls = _one(url, "SELECT count(*) FROM llm_calls WHERE call_kind = 'llm'")
    assert int(_one(url, "SELECT sum(calls) FROM call_reprice_rollups_hourly")) == llm_calls
