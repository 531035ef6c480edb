"""Hourly rollups equal the raw rows, stay equal across re-assembly, and re-running changes nothing."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text

from modelmix.assembly import ModelRanking, assemble_pending, recompute_hours
from tests.assembly.factory import (
    RANKING,
    SHAPES,
    T0,
    TIERS,
    TraceBuilder,
    add_shaped_calls,
    store,
    table_snapshot,
)

ROLLUP_SQL = (
    "SELECT hour, service, environment, task, call_kind, canonical_model, provider, tier, status, calls, "
    "input_tokens, cache_read_tokens, output_tokens, calls_missing_tokens, cost_usd, unpriced_calls, "
    "escalated_calls FROM call_rollups_hourly ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
)


def _sum(values: list[Any]) -> Any:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def build_random_traffic(seed: int, traces: int) -> tuple[list[TraceBuilder], list[tuple[dict[str, Any], str, bool]]]:
    """Traces of known shape; returns them and (call row, expected task, expected escalated) triples."""
    rng = random.Random(seed)
    built: list[TraceBuilder] = []
    expected: list[tuple[dict[str, Any], str, bool]] = []

    def tokens() -> int | None:
        return None if rng.random() < 0.1 else rng.randint(1, 5000)

    def cost() -> Decimal | None:
        return None if rng.random() < 0.1 else Decimal(rng.randint(1, 99999)) / Decimal(10**7)

    for _ in range(traces):
        start = T0 + timedelta(seconds=rng.randint(0, 5 * 3600))
        t = TraceBuilder(start=start, service=rng.choice(["support-bot", "search-api"]),
                         environment=rng.choice(["prod", None]))
        task = rng.choice(["classify-ticket", "summarize-thread", "draft-reply"])
        shape = rng.choice(SHAPES)
        root = t.span(task)
        n_before = len(t.calls)

        def call(parent: bytes, model: str, at: float, kind: str = "llm", t: TraceBuilder = t,
                 **extra: Any) -> None:
            t.call(parent, model=model, provider="openai", at=at, kind=kind,
                   input_tokens=tokens(), output_tokens=tokens(), cache_read_tokens=tokens(),
                   cost=cost(), status="error" if rng.random() < 0.1 else "ok", **extra)

        flags = add_shaped_calls(t, root, shape, call, rng)
        for row, escalated in zip(t.calls[n_before:], flags, strict=True):
            expected.append((row, task, escalated))
        built.append(t)
    return built, expected


def expected_rollups(expected: list[tuple[dict[str, Any], str, bool]]) -> list[tuple[Any, ...]]:
    groups: dict[tuple[Any, ...], list[tuple[dict[str, Any], bool]]] = defaultdict(list)
    for row, task, escalated in expected:
        hour = row["start_time"].astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        key = (hour, row["service"], row["environment"] or "", task, row["call_kind"],
               row["canonical_model"] or "", row["provider"] or "", TIERS.get(row["canonical_model"], ""),
               row["status"])
        groups[key].append((row, escalated))
    result = []
    for key in sorted(groups):
        rows = [r for r, _ in groups[key]]
        result.append(key + (
            len(rows),
            _sum([r["input_tokens"] for r in rows]),
            _sum([r["cache_read_tokens"] for r in rows]),
            _sum([r["output_tokens"] for r in rows]),
            sum(1 for r in rows if r["input_tokens"] is None or r["output_tokens"] is None),
            _sum([r["cost_usd"] for r in rows]),
            sum(1 for r in rows if r["cost_usd"] is None),
            sum(1 for _, escalated in groups[key] if escalated),
        ))
    return result


def test_rollups_equal_an_independent_aggregation_of_the_stored_calls(engine: Engine) -> None:
    traces, expected = build_random_traffic(seed=7, traces=120)
    store(engine, *traces)
    stats = assemble_pending(engine, ranking=RANKING, flush=True, batch_traces=25)
    assert stats.traces == 120
    assert stats.batches == 5
    assert table_snapshot(engine, ROLLUP_SQL) == expected_rollups(expected)


def test_rollup_totals_equal_raw_row_totals(engine: Engine) -> None:
    traces, _ = build_random_traffic(seed=11, traces=80)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    totals = (
        "SELECT count(*), sum(input_tokens), sum(output_tokens), sum(cost_usd), "
        "count(*) FILTER (WHERE cost_usd IS NULL), count(*) FILTER (WHERE escalation IS NOT NULL) "
        "FROM llm_calls"
    )
    rolled = (
        "SELECT sum(calls), sum(input_tokens), sum(output_tokens), sum(cost_usd), sum(unpriced_calls), "
        "sum(escalated_calls) FROM call_rollups_hourly"
    )
    assert table_snapshot(engine, rolled) == table_snapshot(engine, totals)


def test_running_the_assembler_again_changes_nothing(engine: Engine) -> None:
    traces, _ = build_random_traffic(seed=3, traces=60)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    calls_sql = ("SELECT trace_id, span_id, task, task_source, escalation, escalated_from, verification "
                 "FROM llm_calls ORDER BY 1, 2")
    runs_sql = "SELECT * FROM task_runs ORDER BY trace_id, task"
    before = [table_snapshot(engine, s) for s in (calls_sql, runs_sql, ROLLUP_SQL)]

    assert assemble_pending(engine, ranking=RANKING, flush=True).traces == 0  # nothing pending
    with engine.begin() as conn:  # re-open every trace without new data
        conn.execute(text("UPDATE trace_activity SET assembled_at = NULL"))
    again = assemble_pending(engine, ranking=RANKING, flush=True)
    assert again.traces == 60
    assert again.calls_updated == 0
    assert [table_snapshot(engine, s) for s in (calls_sql, runs_sql, ROLLUP_SQL)] == before


def test_rollups_stay_exact_when_late_roots_move_calls_to_another_task(engine: Engine) -> None:
    rng = random.Random(5)
    traces, expected = [], []
    late_roots = []
    for i in range(40):
        t = TraceBuilder(start=T0 + timedelta(minutes=rng.randint(0, 180)))
        root_id = (1000 + i).to_bytes(8, "big")
        step = t.span("step", root_id, at=0.01)
        t.call(step, model=rng.choice(["gpt-4o-mini", "gpt-4o"]), cost=Decimal(rng.randint(1, 999)) / 10**6,
               input_tokens=rng.choice([None, 50, 70]), output_tokens=9)
        task = rng.choice(["alpha", "beta"])
        t.span(task, None, span_id=root_id)
        late_roots.append(root_id)
        traces.append(t)
        expected.append((t.calls[0], task, False))
    store(engine, *traces, skip=late_roots)
    assemble_pending(engine, ranking=RANKING, flush=True)
    assert {row[3] for row in table_snapshot(engine, ROLLUP_SQL)} == {"step"}

    store(engine, *traces[:25])  # 25 roots arrive late
    stats = assemble_pending(engine, ranking=RANKING, flush=True)
    assert stats.traces == 25
    assert stats.rollup_groups_recomputed > 0
    now_expected = [(row, task if i < 25 else "step", esc) for i, (row, task, esc) in enumerate(expected)]
    assert table_snapshot(engine, ROLLUP_SQL) == expected_rollups(now_expected)


def test_recompute_hours_rebuilds_the_same_rollups_and_picks_up_repriced_costs(engine: Engine) -> None:
    traces, expected = build_random_traffic(seed=19, traces=50)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    incremental = table_snapshot(engine, ROLLUP_SQL)
    written = recompute_hours(engine, T0 - timedelta(hours=1), T0 + timedelta(hours=8), ranking=RANKING)
    assert written == len(incremental)
    assert table_snapshot(engine, ROLLUP_SQL) == incremental

    with engine.begin() as conn:  # a reprice doubles every known cost in the first hour
        conn.execute(text(
            "UPDATE llm_calls SET cost_usd = cost_usd * 2 WHERE start_time < :h"
        ), {"h": T0 + timedelta(hours=1)})
    recompute_hours(engine, T0, T0 + timedelta(minutes=30), ranking=RANKING)
    repriced = [
        (row | {"cost_usd": row["cost_usd"] * 2 if row["cost_usd"] is not None
                and row["start_time"] < T0 + timedelta(hours=1) else row["cost_usd"]}, task, esc)
        for row, task, esc in expected
    ]
    assert table_snapshot(engine, ROLLUP_SQL) == expected_rollups(repriced)


def test_recompute_hours_ignores_calls_that_are_not_assembled_yet(engine: Engine) -> None:
    t = TraceBuilder()
    t.call(t.span("pending-task"))
    store(engine, t)
    recompute_hours(engine, T0, T0 + timedelta(hours=1), ranking=RANKING)
    assert table_snapshot(engine, ROLLUP_SQL) == []
    assemble_pending(engine, ranking=RANKING, flush=True)
    assert [row[9] for row in table_snapshot(engine, ROLLUP_SQL)] == [1]  # counted once, not twice


@pytest.mark.parametrize(("since", "until"), [
    (datetime(2026, 1, 2), datetime(2026, 1, 3, tzinfo=UTC)),
    (datetime(2026, 1, 3, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)),
])
def test_recompute_hours_rejects_a_bad_window(engine: Engine, since: datetime, until: datetime) -> None:
    with pytest.raises(ValueError):
        recompute_hours(engine, since, until, ranking=RANKING)


def test_a_tier_change_is_applied_by_recompute_hours(engine: Engine) -> None:
    traces, _ = build_random_traffic(seed=23, traces=20)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    promoted = ModelRanking(price_rank=RANKING.rank, tier_of=lambda m: "frontier" if m == "gpt-4o" else TIERS.get(m or ""))
    recompute_hours(engine, T0, T0 + timedelta(hours=6), ranking=promoted)
    tiers = {(row[5], row[7]) for row in table_snapshot(engine, ROLLUP_SQL)}
    assert ("gpt-4o", "frontier") in tiers
    assert ("gpt-4o", "mid") not in tiers
