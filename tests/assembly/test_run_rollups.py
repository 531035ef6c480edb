"""Task-run rollups and the run-cost histogram equal an independent aggregation of ``task_runs``.

Expectations are computed here in Python from the stored ``task_runs`` rows (whose own correctness
the escalation and task tests cover), across batches, re-assembly that moves calls to another task,
re-running unchanged traces, ``recompute_hours`` and the migration's fill of existing history.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

from modelmix.assembly import assemble_pending, recompute_hours
from tests.assembly.factory import RANKING, T0, TraceBuilder, load_migration, store, table_snapshot
from tests.assembly.test_rollups import build_random_traffic

ROLLUP_SQL = (
    "SELECT hour, service, environment, task, first_model, escalation, escalated_from_model, escalated_to_model, "
    "verification, runs, calls, errors, error_runs, priced_runs, cost_usd, priced_cost_runs, priced_cost_usd, "
    "unpriced_calls, escalation_cost_runs, escalation_cost_usd FROM task_run_rollups_hourly ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
)
HISTOGRAM_SQL = "SELECT day, service, environment, task, cost_bucket, runs FROM task_run_cost_days ORDER BY 1, 2, 3, 4, 5"
MIGRATION = "0003_task_run_and_reprice_rollups.py"


def _runs(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text("SELECT * FROM task_runs")).mappings()]


def _floor(moment: datetime, unit: str) -> datetime:
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if unit == "day" else moment


def expected_rollup(runs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        key = (_floor(r["start_time"], "hour"), r["service"], r["environment"] or "", r["task"],
               r["first_model"] or "", r["escalation"] or "", r["escalated_from_model"] or "",
               r["escalated_to_model"] or "", r["verification"] or "")
        groups[key].append(r)
    out = []
    for key in sorted(groups):
        rs = groups[key]

        def known(name: str, rs: list[dict[str, Any]] = rs) -> list[Decimal]:
            return [r[name] for r in rs if r[name] is not None]

        out.append(key + (
            len(rs), sum(r["calls"] for r in rs), sum(r["errors"] for r in rs), sum(1 for r in rs if r["has_error"]),
            len(known("cost_usd")), sum(known("cost_usd"), Decimal(0)),
            len(known("priced_cost_usd")), sum(known("priced_cost_usd"), Decimal(0)),
            sum(r["unpriced_calls"] for r in rs),
            len(known("escalation_cost_usd")), sum(known("escalation_cost_usd"), Decimal(0)),
        ))
    return out


def bucket_of(cost: Decimal) -> int:
    return -32768 if cost <= 0 else math.floor(math.log2(float(cost)) * 16)


def expected_histogram(runs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    for r in runs:
        if r["cost_usd"] is not None:
            counts[(_floor(r["start_time"], "day"), r["service"], r["environment"] or "", r["task"],
                    bucket_of(r["cost_usd"]))] += 1
    return [key + (n,) for key, n in sorted(counts.items())]


def assert_rollups_match_runs(engine: Engine) -> None:
    runs = _runs(engine)
    assert runs, "the scenario produced no runs"
    assert table_snapshot(engine, ROLLUP_SQL) == expected_rollup(runs)
    assert table_snapshot(engine, HISTOGRAM_SQL) == expected_histogram(runs)


def test_run_rollups_equal_the_runs_across_batches(engine: Engine) -> None:
    traces, _ = build_random_traffic(seed=31, traces=150)
    store(engine, *traces)
    stats = assemble_pending(engine, ranking=RANKING, flush=True, batch_traces=20)
    assert stats.batches == 8
    assert_rollups_match_runs(engine)
    kinds = {row[5] for row in table_snapshot(engine, ROLLUP_SQL)}
    assert kinds == {"", "explicit", "inferred"}  # the scenario exercises every escalation kind


def test_run_rollups_follow_runs_that_move_to_another_task_and_vanish(engine: Engine) -> None:
    rng = random.Random(8)
    traces, late_roots = [], []
    for i in range(40):
        t = TraceBuilder(start=T0 + timedelta(minutes=rng.randint(0, 600)))
        root_id = (5000 + i).to_bytes(8, "big")
        step = t.span("step", root_id, at=0.01)
        t.call(step, model=rng.choice(["gpt-4o-mini", "gpt-4o"]), cost=Decimal(rng.randint(1, 999)) / 10**6,
               input_tokens=50, output_tokens=9)
        t.span(rng.choice(["alpha", "beta"]), None, span_id=root_id)
        late_roots.append(root_id)
        traces.append(t)
    store(engine, *traces, skip=late_roots)
    assemble_pending(engine, ranking=RANKING, flush=True)
    assert {row[3] for row in table_snapshot(engine, ROLLUP_SQL)} == {"step"}

    store(engine, *traces[:25])  # roots arrive late: 25 runs leave "step" for alpha/beta
    assemble_pending(engine, ranking=RANKING, flush=True)
    assert_rollups_match_runs(engine)
    assert sum(row[9] for row in table_snapshot(engine, ROLLUP_SQL) if row[3] == "step") == 15


def test_reassembling_unchanged_traces_changes_no_rollup_row(engine: Engine) -> None:
    traces, _ = build_random_traffic(seed=5, traces=60)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    before = (table_snapshot(engine, ROLLUP_SQL), table_snapshot(engine, HISTOGRAM_SQL))
    with engine.begin() as conn:
        conn.execute(text("UPDATE trace_activity SET assembled_at = NULL"))
    assert assemble_pending(engine, ranking=RANKING, flush=True).traces == 60
    assert (table_snapshot(engine, ROLLUP_SQL), table_snapshot(engine, HISTOGRAM_SQL)) == before


def test_recompute_hours_rebuilds_the_same_run_rollups_and_repairs_damage(engine: Engine) -> None:
    traces, _ = build_random_traffic(seed=13, traces=80)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    incremental = (table_snapshot(engine, ROLLUP_SQL), table_snapshot(engine, HISTOGRAM_SQL))
    with engine.begin() as conn:  # damage: lose one hour of rollups and every histogram row
        conn.execute(text("DELETE FROM task_run_rollups_hourly WHERE hour = :h"), {"h": T0})
        conn.execute(text("DELETE FROM task_run_cost_days"))
    recompute_hours(engine, T0 - timedelta(hours=1), T0 + timedelta(hours=7), ranking=RANKING)
    assert (table_snapshot(engine, ROLLUP_SQL), table_snapshot(engine, HISTOGRAM_SQL)) == incremental


def test_a_rollup_built_from_other_data_is_repaired_by_the_next_batch(engine: Engine) -> None:
    t = TraceBuilder()
    t.call(t.span("solo"), cost=Decimal("0.001"), input_tokens=10, output_tokens=5)
    store(engine, t)
    assemble_pending(engine, ranking=RANKING, flush=True)
    with engine.begin() as conn:  # the rollup lost its row: re-assembly would drive counts negative
        conn.execute(text("DELETE FROM task_run_rollups_hourly"))
        conn.execute(text("DELETE FROM task_run_cost_days"))
        # the stored run differs from what assembly computes, so it is rewritten: its old bucket and
        # group are subtracted from rows that no longer exist
        conn.execute(text("UPDATE task_runs SET calls = calls + 1, cost_usd = cost_usd * 2"))
        conn.execute(text("UPDATE trace_activity SET assembled_at = NULL"))
    assemble_pending(engine, ranking=RANKING, flush=True)
    assert_rollups_match_runs(engine)


def test_the_migration_fills_the_run_rollups_from_existing_history(engine: Engine) -> None:
    traces, _ = build_random_traffic(seed=17, traces=70)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    module = load_migration(MIGRATION)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM task_run_rollups_hourly"))
        conn.execute(text("DELETE FROM task_run_cost_days"))
        conn.execute(text(module._FILL_RUN_ROLLUPS))
        conn.execute(text(module._FILL_RUN_COST_DAYS))
    assert_rollups_match_runs(engine)


def test_a_reprice_carries_new_call_costs_into_runs_and_their_rollups(engine: Engine) -> None:
    from modelmix.pricing import PriceBook, PriceOverride, reprice, set_price_override

    traces, _ = build_random_traffic(seed=29, traces=60)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    set_price_override(engine, PriceOverride(model="gpt-4o", input_per_mtok=Decimal(100),
                                             output_per_mtok=Decimal(400), valid_from=T0 - timedelta(days=1)))
    result = reprice(engine, PriceBook.load(engine), T0 - timedelta(hours=1), T0 + timedelta(hours=7))
    assert result.rows_changed > 0 and result.rollups == "recomputed"
    # every run's priced cost is again the sum of its calls' (new) costs
    stale = table_snapshot(engine, """
        SELECT r.trace_id, r.task FROM task_runs r
        JOIN (SELECT trace_id, task, sum(cost_usd) AS cost FROM llm_calls GROUP BY trace_id, task) c
          ON c.trace_id = r.trace_id AND c.task = r.task
        WHERE r.priced_cost_usd IS DISTINCT FROM c.cost""")
    assert stale == []
    assert_rollups_match_runs(engine)
