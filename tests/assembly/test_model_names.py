"""The hourly served-model-name counts equal an independent count of the assembled calls: after
batches, after re-assembly and late calls (each call counted once), after ``recompute_hours`` (also
picking up changed canonical models), for calls without a ``model`` column value, and after the
migration's fill of existing history."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

from modelmix.assembly import TASK_SOURCES, assemble_pending, recompute_hours
from tests.assembly.factory import RANKING, T0, TraceBuilder, load_migration, store, table_snapshot

MIGRATION = "0004_model_names_and_call_indexes.py"
SQL = "SELECT hour, provider, model, canonical_model, calls FROM call_model_names_hourly ORDER BY 1, 2, 3, 4"


def expected_counts(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Counted by hand from the rows as stored: served = model, else response, else request model."""
    counts: Counter[tuple[Any, ...]] = Counter()
    for row in rows:
        served = next((row[k] for k in ("model", "response_model", "request_model") if row[k] is not None), None)
        if served is None:
            continue
        hour = row["start_time"].astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        counts[(hour, row["provider"] or "", served, row["canonical_model"] or "")] += 1
    return [key + (n,) for key, n in sorted(counts.items())]


def traffic(seed: int, traces: int) -> list[TraceBuilder]:
    rng = random.Random(seed)
    built = []
    for _ in range(traces):
        t = TraceBuilder(start=T0 + timedelta(seconds=rng.randint(0, 5 * 3600)))
        root = t.span(rng.choice(["classify", "summarize"]))
        for i in range(rng.randint(1, 3)):
            model = rng.choice(["gpt-4o-mini", "gpt-4o", "claude-sonnet-4-5", None])
            t.call(root, model=model, provider=rng.choice(["openai", "anthropic", None]), at=0.1 + i,
                   canonical=rng.choice([True, None]), cost=Decimal("0.001"))
            shape = rng.random()
            if shape < 0.15:  # only a response model reported
                t.calls[-1].update(model=None, request_model=None, response_model="resp-only-1")
            elif shape < 0.3:  # only a request model reported
                t.calls[-1].update(model=None, response_model=None, request_model="req-only-1")
        built.append(t)
    return built


def all_calls(traces: list[TraceBuilder]) -> list[dict[str, Any]]:
    return [row for t in traces for row in t.calls]


def test_the_counts_equal_an_independent_count_after_batches(engine: Engine) -> None:
    traces = traffic(seed=3, traces=120)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True, batch_traces=17)
    got = table_snapshot(engine, SQL)
    assert got == expected_counts(all_calls(traces))
    assert {"resp-only-1", "req-only-1"} <= {row[2] for row in got}
    assert "" in {row[1] for row in got} and "" in {row[3] for row in got}
    skipped = sum(1 for r in all_calls(traces) if r["model"] is None and r["response_model"] is None
                  and r["request_model"] is None)
    assert skipped > 0  # calls without any model name are not counted
    assert sum(row[4] for row in got) == len(all_calls(traces)) - skipped


def test_each_call_is_counted_once_through_reassembly_late_calls_and_recompute(engine: Engine) -> None:
    traces = traffic(seed=11, traces=60)
    late = {id(t.calls[-1]) for t in traces[:20]}  # the last call of 20 traces arrives late
    for t in traces[:20]:
        store(engine, t, skip=[t.calls[-1]["span_id"]])
    store(engine, *traces[20:])
    assemble_pending(engine, ranking=RANKING, flush=True)
    first = [r for r in all_calls(traces) if id(r) not in late]
    assert table_snapshot(engine, SQL) == expected_counts(first)

    store(engine, *traces)  # late calls re-open 20 traces; their other calls are re-assembled
    assemble_pending(engine, ranking=RANKING, flush=True)
    assert table_snapshot(engine, SQL) == expected_counts(all_calls(traces))

    with engine.begin() as conn:
        conn.execute(text("UPDATE trace_activity SET assembled_at = NULL"))
    assert assemble_pending(engine, ranking=RANKING, flush=True).traces == 60
    assert table_snapshot(engine, SQL) == expected_counts(all_calls(traces))
    recompute_hours(engine, T0 - timedelta(hours=1), T0 + timedelta(hours=8), ranking=RANKING)
    assert table_snapshot(engine, SQL) == expected_counts(all_calls(traces))


def test_calls_not_assembled_yet_are_not_counted(engine: Engine) -> None:
    t = TraceBuilder()
    t.call(t.span("pending-task"), model="gpt-4o")
    store(engine, t)
    recompute_hours(engine, T0, T0 + timedelta(hours=1), ranking=RANKING)
    assert table_snapshot(engine, SQL) == []
    assemble_pending(engine, ranking=RANKING, flush=True)
    assert table_snapshot(engine, SQL) == [(T0, "openai", "gpt-4o", "gpt-4o", 1)]


def test_recompute_hours_picks_up_changed_canonical_models(engine: Engine) -> None:
    traces = traffic(seed=19, traces=40)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    cut = T0 + timedelta(hours=2)
    with engine.begin() as conn:  # as a reprice does: a new canonical model for the early calls
        conn.execute(text("UPDATE llm_calls SET canonical_model = 'renamed' WHERE start_time < :c"), {"c": cut})
    recompute_hours(engine, T0, cut, ranking=RANKING)
    renamed = [r | {"canonical_model": "renamed"} if r["start_time"] < cut else r for r in all_calls(traces)]
    got = table_snapshot(engine, SQL)
    assert got == expected_counts(renamed)
    assert any(row[3] == "renamed" for row in got)


def test_the_migration_fills_the_counts_from_existing_history(engine: Engine) -> None:
    traces = traffic(seed=29, traces=50)
    pending = TraceBuilder(start=T0 + timedelta(hours=1))
    pending.call(pending.span("not-yet"), model="gpt-4o")
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)
    store(engine, pending)  # stored after the assembler ran: not assembled, so not counted
    module = load_migration(MIGRATION)
    for source in TASK_SOURCES:
        assert f"'{source}'" in module._UNASSEMBLED
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM call_model_names_hourly"))
        conn.execute(text(module._FILL))
    assert table_snapshot(engine, SQL) == expected_counts(all_calls(traces))
