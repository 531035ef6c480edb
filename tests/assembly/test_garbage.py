"""Garbage in stored spans never stops the assembler, and what it stores stays within bounds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from modelmix.assembly import assemble_pending
from tests.assembly.factory import RANKING, TraceBuilder, call_row, runs_of, store, table_snapshot


def flush(engine: Engine) -> None:
    assemble_pending(engine, ranking=RANKING, flush=True)


def pending(engine: Engine) -> int:
    return table_snapshot(engine, "SELECT count(*) FROM trace_activity WHERE assembled_at IS NULL")[0][0]


def test_a_parent_cycle_terminates(engine: Engine) -> None:
    t = TraceBuilder()
    a_id, b_id = (501).to_bytes(8, "big"), (502).to_bytes(8, "big")
    t.span("a", b_id, span_id=a_id, task="looped")
    t.span("b", a_id, span_id=b_id)
    call = t.call(a_id)
    store(engine, t)
    flush(engine)
    assert call_row(engine, t, call)["task"] == "looped"
    assert pending(engine) == 0


def test_a_call_that_is_its_own_parent_is_assembled(engine: Engine) -> None:
    t = TraceBuilder(service="selfish")
    t.call(None)
    t.calls[0]["parent_span_id"] = t.calls[0]["span_id"]
    store(engine, t)
    flush(engine)
    assert set(runs_of(engine, t)) == {"selfish"}


def test_a_very_deep_chain_resolves_the_nearest_names(engine: Engine) -> None:
    t = TraceBuilder()
    parent = t.span("root-of-deep", task="deep-task")
    for i in range(100):
        parent = t.span(f"level-{i}", parent, at=0.001 * i)
    call = t.call(parent, at=0.5)
    store(engine, t)
    flush(engine)
    row = call_row(engine, t, call)
    # The walk stops after 64 ancestors: the task 101 levels up is out of reach, the trace root is not.
    assert (row["task"], row["task_source"]) == ("root-of-deep", "root_span_name")


def test_huge_names_are_cut_and_metacharacters_are_just_data(engine: Engine) -> None:
    weird = "x'); DROP TABLE llm_calls; -- \u2603 \U0001f680 " + "y" * 10_000
    t = TraceBuilder(service="s" * 10_000, environment="e" * 5_000)
    call = t.call(t.span(weird), model="m" * 3_000, provider="p" * 3_000, canonical=None)
    store(engine, t)
    flush(engine)
    task = call_row(engine, t, call)["task"]
    assert task == weird[:200]
    (run,) = runs_of(engine, t).values()
    assert run["task"] == weird[:200]
    (rollup,) = table_snapshot(engine, "SELECT service, environment, task, provider, canonical_model "
                                       "FROM call_rollups_hourly")
    assert rollup == ("s" * 200, "e" * 200, weird[:200], "p" * 200, "")
    assert table_snapshot(engine, "SELECT count(*) FROM llm_calls") == [(1,)]


def test_duplicate_skeleton_ids_do_not_stop_the_batch(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("dup-root", task="first")
    t.span("dup-root-again", task="second", span_id=root, at=5.0)  # same id, another start time
    call = t.call(root)
    store(engine, t)
    flush(engine)
    assert call_row(engine, t, call)["task"] in {"first", "second"}
    assert pending(engine) == 0


def test_calls_without_model_provider_or_tokens_are_counted_as_unknown(engine: Engine) -> None:
    t = TraceBuilder(environment=None)
    t.call(t.span("mystery"), model=None, provider=None, canonical=None, input_tokens=None,
           output_tokens=None, cost=None)
    store(engine, t)
    flush(engine)
    run = runs_of(engine, t)["mystery"]
    assert (run["first_model"], run["final_model"], run["cost_usd"], run["input_tokens"]) == (None,) * 4
    assert table_snapshot(engine, "SELECT environment, canonical_model, provider, tier, calls, input_tokens, "
                                  "calls_missing_tokens, cost_usd, unpriced_calls FROM call_rollups_hourly") == [
        ("", "", "", "", 1, None, 1, None, 1)
    ]


def test_a_trace_of_skeletons_only_is_marked_assembled_without_runs(engine: Engine) -> None:
    t = TraceBuilder()
    t.span("health-check")
    store(engine, t)
    stats = assemble_pending(engine, ranking=RANKING, flush=True)
    assert (stats.traces, stats.calls, stats.runs) == (1, 0, 0)
    assert runs_of(engine, t) == {}
    assert pending(engine) == 0


def test_a_pending_trace_whose_rows_are_gone_is_simply_closed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO trace_activity (trace_id, first_start_time, last_seen_at) "
            "VALUES (:t, now() - interval '900 days', now())"
        ), {"t": b"\x00" * 15 + b"\x07"})
    stats = assemble_pending(engine, ranking=RANKING, flush=True)
    assert (stats.traces, stats.calls) == (1, 0)
    assert pending(engine) == 0


def test_a_ranking_that_raises_aborts_the_batch_and_keeps_it_pending(engine: Engine) -> None:
    from modelmix.assembly import ModelRanking

    def broken(_model: str) -> Decimal | None:
        raise RuntimeError("price book unavailable")

    t = TraceBuilder()
    t.call(t.span("fragile"))
    store(engine, t)
    with pytest.raises(RuntimeError, match="price book unavailable"):
        assemble_pending(engine, ranking=ModelRanking(price_rank=broken, tier_of=lambda m: None), flush=True)
    assert pending(engine) == 1  # nothing half-written
    assert runs_of(engine, t) == {}
    flush(engine)
    assert set(runs_of(engine, t)) == {"fragile"}
