"""``models_seen`` (hourly counts + raw partial hour + raw unassembled calls) equals a plain SQL
count over the raw calls, for windows starting on and inside an hour, with assembled, re-opened
and never-assembled calls; and a small case counted by hand."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

from modelmix.assembly import assemble_pending
from modelmix.pricing import SeenModel, models_seen
from tests.assembly.factory import RANKING, T0, TraceBuilder, store

from .helpers import insert_row

# The question asked of the raw rows, written out independently of the hourly counts.
RAW = text("""
    SELECT nullif(provider, ''), coalesce(model, response_model, request_model) AS served,
        max(nullif(canonical_model, '')), count(*)
    FROM llm_calls
    WHERE start_time >= :since AND coalesce(model, response_model, request_model) IS NOT NULL
    GROUP BY nullif(provider, ''), served
""")


def raw_seen(engine: Engine, since: Any) -> set[tuple[Any, ...]]:
    with engine.connect() as conn:
        return {tuple(row) for row in conn.execute(RAW, {"since": since})}


def as_set(seen: list[SeenModel]) -> set[tuple[Any, ...]]:
    return {(s.provider, s.model, s.canonical_model, s.calls) for s in seen}


def traffic(rng: random.Random, traces: int, hours: int) -> list[TraceBuilder]:
    built = []
    for _ in range(traces):
        t = TraceBuilder(start=T0 + timedelta(seconds=rng.randint(0, hours * 3600)))
        root = t.span("task")
        for i in range(rng.randint(1, 3)):
            t.call(root, model=rng.choice(["gpt-4o-mini", "gpt-4o", "claude-sonnet-4-5"]),
                   provider=rng.choice(["openai", "anthropic", None]), at=0.1 + i, canonical=rng.choice([True, None]),
                   cost=Decimal("0.001"))
        built.append(t)
    return built


def test_models_seen_equals_a_plain_count_of_the_raw_calls(engine: Engine) -> None:
    rng = random.Random(17)
    traces = traffic(rng, 150, hours=6)
    late = {id(t.calls[-1]) for t in traces[:30]}
    for t in traces[:30]:
        store(engine, t, skip=[t.calls[-1]["span_id"]])
    store(engine, *traces[30:])
    assemble_pending(engine, ranking=RANKING, flush=True)
    store(engine, *traces[:30])  # late calls re-open 30 traces: not assembled yet
    # calls written without any assembly (task read from the span, or none)
    for _ in range(25):
        insert_row(engine, provider=rng.choice(["openai", None]), model=rng.choice(["gpt-4o", "odd-model"]),
                   start=T0 + timedelta(minutes=rng.randint(0, 420)), canonical=rng.choice(["gpt-4o", None]),
                   task_source=rng.choice([None, "span"]))
    insert_row(engine, provider="openai", model=None, start=T0 + timedelta(hours=2), response_model=None,
               request_model=None)  # no model name at all: never listed
    insert_row(engine, provider="openai", model=None, start=T0 + timedelta(hours=3), response_model="resp-x")
    with engine.connect() as conn:
        assembled = conn.execute(text("SELECT count(*) FROM llm_calls WHERE task_source = 'root_span_name'")).scalar()
    assert assembled and assembled > 100 and late

    for since in (T0 - timedelta(days=1), T0, T0 + timedelta(minutes=1), T0 + timedelta(hours=2, minutes=37),
                  T0 + timedelta(hours=3, seconds=1), T0 + timedelta(hours=5, minutes=59), T0 + timedelta(days=1)):
        got = models_seen(engine, since)
        assert as_set(got) == raw_seen(engine, since), since
        assert [s.calls for s in got] == sorted((s.calls for s in got), reverse=True)


def test_a_small_case_counted_by_hand(engine: Engine) -> None:
    a = TraceBuilder(start=T0 + timedelta(minutes=10))
    root = a.span("task")
    a.call(root, model="gpt-4o", at=0.1)
    a.call(root, model="gpt-4o", at=0.2)
    a.call(root, model="gpt-4o-mini", provider=None, at=0.3)
    store(engine, a)
    assemble_pending(engine, ranking=RANKING, flush=True)
    insert_row(engine, provider="openai", model="gpt-4o", start=T0 + timedelta(hours=1, minutes=5), canonical="gpt-4o")
    insert_row(engine, provider="openai", model="gpt-4o", start=T0 + timedelta(minutes=5), canonical="gpt-4o")

    # from 00:07: the two assembled gpt-4o calls (00:10, partial hour) and the unassembled one at 01:05
    assert models_seen(engine, T0 + timedelta(minutes=7)) == [
        SeenModel("openai", "gpt-4o", "gpt-4o", 3), SeenModel(None, "gpt-4o-mini", "gpt-4o-mini", 1)]
    # from 00:00: the 00:05 call too
    assert models_seen(engine, T0)[0] == SeenModel("openai", "gpt-4o", "gpt-4o", 4)
    # from 01:00: only the unassembled call; the assembled ones are in an earlier hour
    assert models_seen(engine, T0 + timedelta(hours=1)) == [SeenModel("openai", "gpt-4o", "gpt-4o", 1)]
    assert models_seen(engine, T0 + timedelta(hours=1), limit=1) == [SeenModel("openai", "gpt-4o", "gpt-4o", 1)]
    assert models_seen(engine, T0 + timedelta(hours=2)) == []
