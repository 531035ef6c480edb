"""The size-banded re-pricing rollup equals an independent aggregation of the assembled LLM calls:
after batches, re-assembly that moves calls to another task or flips their escalation, a damaged
group, ``recompute_hours`` and the migration's fill of existing history."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

from modelmix.assembly import TASK_SOURCES, assemble_pending, recompute_hours
from tests.assembly.factory import (
    RANKING,
    T0,
    TraceBuilder,
    add_shaped_calls,
    load_migration,
    store,
    table_snapshot,
)

MIGRATION = "0003_task_run_and_reprice_rollups.py"

SQL = (
    "SELECT hour, service, environment, task, canonical_model, provider, first_attempt, size_band, calls, "
    "priceable_calls, priceable_cost_usd, input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, "
    "reasoning_tokens, unpriced_calls, no_token_calls, no_token_cost_usd "
    "FROM call_reprice_rollups_hourly ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
)

# Input sizes on both sides of the prompt-size thresholds of the bundled prices (written out here).
SIZES = [None, 50, 32_000, 32_001, 150_000, 199_999, 200_000, 200_001, 271_999, 300_000, 600_000]
BOUNDS = [32_000, 100_000, 128_000, 199_999, 200_000, 256_000, 272_000, 512_000, 524_288]


def band_of(size: int | None) -> int:
    return 0 if size is None else len([b for b in BOUNDS if size > b])


def expected_rollup(expected: list[tuple[dict[str, Any], str, bool]]) -> list[tuple[Any, ...]]:
    """(call row, task, escalated) triples aggregated by hand, LLM calls only."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row, task, escalated in expected:
        if row["call_kind"] != "llm":
            continue
        hour = row["start_time"].astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        key = (hour, row["service"], row["environment"] or "", task, row["canonical_model"] or "",
               row["provider"] or "", not escalated, band_of(row["input_tokens"]))
        groups[key].append(row)
    out = []
    for key in sorted(groups):
        rows = groups[key]
        ok = [r for r in rows if r["cost_usd"] is not None and r["input_tokens"] is not None
              and r["output_tokens"] is not None]
        no_tokens = [r for r in rows if r["cost_usd"] is not None and r not in ok]
        out.append(key + (
            len(rows), len(ok), sum((r["cost_usd"] for r in ok), Decimal(0)),
            sum(r["input_tokens"] for r in ok), sum(r["cache_read_tokens"] or 0 for r in ok),
            sum(r["cache_write_tokens"] or 0 for r in ok), sum(r["output_tokens"] for r in ok),
            sum(r["reasoning_tokens"] or 0 for r in ok),
            sum(1 for r in rows if r["cost_usd"] is None), len(no_tokens),
            sum((r["cost_usd"] for r in no_tokens), Decimal(0)),
        ))
    return out


def traffic(seed: int, traces: int) -> tuple[list[TraceBuilder], list[tuple[dict[str, Any], str, bool]]]:
    rng = random.Random(seed)
    built: list[TraceBuilder] = []
    expected: list[tuple[dict[str, Any], str, bool]] = []
    for _ in range(traces):
        t = TraceBuilder(start=T0 + timedelta(seconds=rng.randint(0, 5 * 3600)),
                         service=rng.choice(["support-bot", "search-api"]), environment=rng.choice(["prod", None]))
        task = rng.choice(["classify-ticket", "summarize-thread"])
        root = t.span(task)
        before = len(t.calls)

        def call(parent: bytes, model: str, at: float, kind: str = "llm", t: TraceBuilder = t) -> None:
            t.call(parent, model=model, provider=rng.choice(["openai", None]), at=at, kind=kind,
                   input_tokens=rng.choice(SIZES), output_tokens=rng.choice([None, 10, 900]),
                   cache_read_tokens=rng.choice([None, 0, 20]),
                   cost=None if rng.random() < 0.15 else Decimal(rng.randint(1, 99999)) / Decimal(10**7))

        shape = rng.choice(["single", "explicit", "inferred", "embedding"])
        flags = add_shaped_calls(t, root, shape, call, rng)
        expected += [(row, task, esc) for row, esc in zip(t.calls[before:], flags, strict=True)]
        built.append(t)
    return built, expected


def test_the_rollup_equals_an_independent_aggregation_after_batches(engine: Engine) -> None:
    traces, expected = traffic(seed=7, traces=150)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True, batch_traces=20)
    got = table_snapshot(engine, SQL)
    assert got == expected_rollup(expected)
    assert len({row[7] for row in got}) >= 5  # several size bands are exercised
    assert any(row[16] for row in got) and any(row[17] for row in got)  # unpriced and no-token calls


def test_the_rollup_totals_equal_a_plain_sql_aggregate_of_llm_calls(engine: Engine) -> None:
    traces, _ = traffic(seed=13, traces=80)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    raw = table_snapshot(engine, """
        SELECT count(*), count(*) FILTER (WHERE escalation IS NULL), count(*) FILTER (WHERE cost_usd IS NULL),
            sum(cost_usd), sum(input_tokens) FILTER (WHERE cost_usd IS NOT NULL AND output_tokens IS NOT NULL)
        FROM llm_calls WHERE call_kind = 'llm'""")
    rolled = table_snapshot(engine, """
        SELECT sum(calls), sum(calls) FILTER (WHERE first_attempt), sum(unpriced_calls),
            sum(priceable_cost_usd) + sum(no_token_cost_usd), sum(input_tokens)
        FROM call_reprice_rollups_hourly""")
    assert rolled == raw


def test_late_roots_move_calls_to_another_task_and_empty_groups_disappear(engine: Engine) -> None:
    rng = random.Random(5)
    traces, expected, late = [], [], []
    for i in range(40):
        t = TraceBuilder(start=T0 + timedelta(minutes=rng.randint(0, 180)))
        root_id = (1000 + i).to_bytes(8, "big")
        t.call(t.span("step", root_id, at=0.01), model=rng.choice(["gpt-4o-mini", "gpt-4o"]),
               cost=Decimal(rng.randint(1, 999)) / 10**6, input_tokens=rng.choice(SIZES), output_tokens=9)
        task = rng.choice(["alpha", "beta"])
        t.span(task, None, span_id=root_id)
        late.append(root_id)
        traces.append(t)
        expected.append((t.calls[0], task, False))
    store(engine, *traces, skip=late)
    assemble_pending(engine, ranking=RANKING, flush=True)
    assert {row[3] for row in table_snapshot(engine, SQL)} == {"step"}

    store(engine, *traces[:25])  # 25 roots arrive late: groups shrink without emptying
    assemble_pending(engine, ranking=RANKING, flush=True)
    partly = [(row, task if i < 25 else "step", esc) for i, (row, task, esc) in enumerate(expected)]
    assert table_snapshot(engine, SQL) == expected_rollup(partly)

    store(engine, *traces)  # the other roots arrive: no call is left under "step"
    assemble_pending(engine, ranking=RANKING, flush=True)
    got = table_snapshot(engine, SQL)
    assert got == expected_rollup(expected)
    assert "step" not in {row[3] for row in got}


def test_a_late_cheaper_call_turns_a_first_attempt_into_an_escalation(engine: Engine) -> None:
    traces, expected, late = [], [], []
    for i in range(6):
        t = TraceBuilder(start=T0 + timedelta(minutes=7 * i))
        root = t.span("answer")
        cheap = t.call(root, model="gpt-4o-mini", at=0.1, input_tokens=250_000, cost=Decimal("0.01"))
        t.call(root, model="gpt-4o", at=0.6, input_tokens=250_000, cost=Decimal("0.5"))
        late.append(cheap)
        traces.append(t)
    store(engine, *traces, skip=late)
    assemble_pending(engine, ranking=RANKING, flush=True)
    first = [(t.calls[1], "answer", False) for t in traces]
    assert table_snapshot(engine, SQL) == expected_rollup(first)

    store(engine, *traces)  # the earlier, cheaper calls arrive: the gpt-4o calls become inferred escalations
    assemble_pending(engine, ranking=RANKING, flush=True)
    expected = [(t.calls[0], "answer", False) for t in traces] + [(t.calls[1], "answer", True) for t in traces]
    got = table_snapshot(engine, SQL)
    assert got == expected_rollup(expected)
    assert [(row[4], row[6]) for row in got] == [("gpt-4o", False), ("gpt-4o-mini", True)]


def test_a_damaged_hour_is_rebuilt_when_a_batch_touches_it(engine: Engine) -> None:
    rng = random.Random(9)
    traces, expected, late = [], [], []
    for i in range(10):
        t = TraceBuilder(start=T0 + timedelta(minutes=5 * i))
        root_id = (2000 + i).to_bytes(8, "big")
        t.call(t.span("step", root_id, at=0.01), input_tokens=rng.choice(SIZES), output_tokens=9)
        t.span("gamma", None, span_id=root_id)
        late.append(root_id)
        traces.append(t)
        expected.append((t.calls[0], "gamma", False))
    store(engine, *traces, skip=late)
    assemble_pending(engine, ranking=RANKING, flush=True)
    with engine.begin() as conn:  # lose the rows the next batch subtracts from
        conn.execute(text("DELETE FROM call_reprice_rollups_hourly WHERE task = 'step'"))
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    assert table_snapshot(engine, SQL) == expected_rollup(expected)


def test_reassembling_unchanged_traces_and_recompute_hours_change_nothing(engine: Engine) -> None:
    traces, expected = traffic(seed=3, traces=60)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    before = table_snapshot(engine, SQL)
    assert before == expected_rollup(expected)
    with engine.begin() as conn:
        conn.execute(text("UPDATE trace_activity SET assembled_at = NULL"))
    assert assemble_pending(engine, ranking=RANKING, flush=True).traces == 60
    assert table_snapshot(engine, SQL) == before
    recompute_hours(engine, T0 - timedelta(hours=1), T0 + timedelta(hours=8), ranking=RANKING)
    assert table_snapshot(engine, SQL) == before


def test_recompute_hours_picks_up_repriced_costs(engine: Engine) -> None:
    traces, expected = traffic(seed=19, traces=50)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    cut = T0 + timedelta(hours=1)
    with engine.begin() as conn:
        conn.execute(text("UPDATE llm_calls SET cost_usd = cost_usd * 2 WHERE start_time < :h"), {"h": cut})
    recompute_hours(engine, T0, T0 + timedelta(minutes=30), ranking=RANKING)
    doubled = [(row | {"cost_usd": row["cost_usd"] * 2 if row["cost_usd"] is not None and row["start_time"] < cut
                       else row["cost_usd"]}, task, esc) for row, task, esc in expected]
    assert table_snapshot(engine, SQL) == expected_rollup(doubled)


def test_calls_not_assembled_yet_are_not_rolled_up(engine: Engine) -> None:
    t = TraceBuilder()
    t.call(t.span("pending-task"))
    store(engine, t)
    recompute_hours(engine, T0, T0 + timedelta(hours=1), ranking=RANKING)
    assert table_snapshot(engine, SQL) == []
    assemble_pending(engine, ranking=RANKING, flush=True)
    assert [row[8] for row in table_snapshot(engine, SQL)] == [1]


def test_the_migration_fills_the_rollup_from_existing_history(engine: Engine) -> None:
    traces, expected = traffic(seed=29, traces=70)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    module = load_migration(MIGRATION)
    for source in TASK_SOURCES:
        assert f"'{source}'" in module._FILL_REPRICE_ROLLUPS
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM call_reprice_rollups_hourly"))
        conn.execute(text(module._FILL_REPRICE_ROLLUPS))
    assert table_snapshot(engine, SQL) == expected_rollup(expected)
