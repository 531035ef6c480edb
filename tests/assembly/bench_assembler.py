"""Assembler throughput on synthetic traces (run by hand, not collected by pytest).

    MODELMIX_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m tests.assembly.bench_assembler --traces 5000

Creates a scratch database, migrates it, bulk-loads traces of mixed shapes (single call, two-step
pipeline, marked and unmarked escalation, agent loop of 6 calls) spread over a day, assembles them
with ``--flush`` semantics and prints calls/s; then re-opens every trace and assembles again (the
"late span" path), and finally drops the database.
"""

from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import psycopg
from sqlalchemy import Engine, text

from modelmix.assembly import assemble_pending
from modelmix.db import migrate
from modelmix.db.engine import libpq_url, make_engine, sqlalchemy_url
from modelmix.db.partitions import create_partition, week_start
from tests.assembly.factory import RANKING, T0, TraceBuilder
from tests.conftest import _with_database


def build(traces: int, seed: int) -> list[TraceBuilder]:
    rng = random.Random(seed)
    built = []
    for _ in range(traces):
        t = TraceBuilder(start=T0 + timedelta(seconds=rng.randint(0, 86_000)),
                         service=rng.choice(["support-bot", "search-api", "code-assistant"]))
        task = rng.choice(["classify-ticket", "summarize-thread", "draft-reply", "code-review", "plan-trip"])
        root = t.span(task, task=task if rng.random() < 0.5 else None)
        shape = rng.random()
        cost = Decimal("0.0012")
        if shape < 0.5:
            t.call(root, model=rng.choice(["gpt-4o-mini", "gpt-4o"]), cost=cost)
        elif shape < 0.7:
            t.call(t.span("classify", root, at=0.01), model="gpt-4o-mini", cost=cost)
            t.call(t.span("write", root, at=0.5), model="gpt-4o", at=0.6, cost=cost)
        elif shape < 0.8:
            t.call(root, model="gpt-4o-mini", cost=cost)
            t.call(t.span("escalate", root, at=0.5, escalated_from="gpt-4o-mini"), model="gpt-4o", at=0.6)
        elif shape < 0.9:
            t.call(root, model="gpt-4o-mini", cost=cost)
            t.call(root, model="gpt-4o", at=0.6, cost=cost)
        else:
            agent = t.span("invoke_agent", root, at=0.01)
            for i in range(6):
                t.call(t.span(f"step-{i}", agent, at=0.1 * i), model="claude-sonnet-4-5", at=0.1 * i + 0.01)
        built.append(t)
    return built


def load(url: str, traces: list[TraceBuilder]) -> tuple[int, int]:
    from modelmix.db.models import LlmCallRow, SpanSkeletonRow

    call_cols = [c.name for c in LlmCallRow.__table__.columns if c.name != "ingested_at"]
    skel_cols = [c.name for c in SpanSkeletonRow.__table__.columns if c.name != "ingested_at"]
    calls = [r for t in traces for r in t.calls]
    skeletons = [r for t in traces for r in t.skeletons]
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            with cur.copy(f"COPY llm_calls ({', '.join(call_cols)}) FROM STDIN") as copy:
                for row in calls:
                    copy.write_row([row.get(c) for c in call_cols])
            with cur.copy(f"COPY span_skeletons ({', '.join(skel_cols)}) FROM STDIN") as copy:
                for row in skeletons:
                    copy.write_row([row.get(c) for c in skel_cols])
            first: dict[bytes, datetime] = {}
            for row in calls + skeletons:
                first[row["trace_id"]] = min(first.get(row["trace_id"], row["start_time"]), row["start_time"])
            with cur.copy("COPY trace_activity (trace_id, first_start_time, last_seen_at) FROM STDIN") as copy:
                for trace_id, start in first.items():
                    copy.write_row([trace_id, start, start])
    return len(calls), len(skeletons)


def background(engine: Engine, calls: int) -> None:
    """Already assembled calls (one per trace) spread over the benchmark's day."""
    with engine.begin() as conn:
        conn.execute(text(
            """
            INSERT INTO llm_calls (trace_id, span_id, start_time, parent_span_id, end_time, duration_ms,
                service, environment, call_kind, provider, model, canonical_model, input_tokens,
                output_tokens, cost_usd, status, task, task_source)
            SELECT decode(lpad(to_hex(g), 32, 'f'), 'hex'), decode(lpad(to_hex(g), 16, '0'), 'hex'),
                :t0 + make_interval(secs => (g % 86000)), NULL, NULL, 500, 'background', 'prod', 'llm',
                'openai', 'gpt-4o-mini', 'gpt-4o-mini', 100, 10, 0.0001, 'ok', 'background-task',
                'service_name'
            FROM generate_series(1, :n) AS g
            """
        ), {"t0": T0, "n": calls})


def retask(engine: Engine, traces: int) -> None:
    """Re-open background traces; their task resolves differently, so their groups are recomputed."""
    from modelmix.assembly import recompute_hours

    recompute_hours(engine, T0, T0 + timedelta(days=1), ranking=RANKING)  # background into the rollups
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO trace_activity (trace_id, first_start_time, last_seen_at) "
            "SELECT trace_id, start_time, start_time FROM llm_calls WHERE service = 'background' "
            "ORDER BY trace_id LIMIT :k"
        ), {"k": traces})
    started = time.perf_counter()
    stats = assemble_pending(engine, ranking=RANKING, flush=True)
    elapsed = time.perf_counter() - started
    print(f"re-tasking {stats.traces} background traces: {stats.calls} calls in {elapsed:.2f}s "
          f"({stats.rollup_groups_recomputed} groups recomputed exactly)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--traces", type=int, default=5000)
    parser.add_argument("--batch-traces", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--background", type=int, default=0,
                        help="already-assembled calls to put in the same partition first")
    parser.add_argument("--retask-background", type=int, default=0, metavar="K",
                        help="finally re-open K background traces whose task changes (exact rollup path)")
    args = parser.parse_args()
    server = libpq_url(os.environ["MODELMIX_TEST_DATABASE_URL"])
    name = f"mm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server, name)
    engine = make_engine(sqlalchemy_url(url))
    try:
        migrate.upgrade(engine)
        with engine.begin() as conn:
            for monday in {week_start(T0), week_start(T0 + timedelta(days=1))}:
                for table in ("llm_calls", "span_skeletons"):
                    create_partition(conn, table, monday)
        if args.background:
            started = time.perf_counter()
            background(engine, args.background)
            print(f"{args.background} background calls loaded in {time.perf_counter() - started:.1f}s")
        traces = build(args.traces, args.seed)
        calls, skeletons = load(url, traces)
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        print(f"{args.traces} traces, {calls} calls, {skeletons} skeletons")
        for label in ("first assembly", "re-assembly of every trace (unchanged)"):
            started = time.perf_counter()
            stats = assemble_pending(engine, ranking=RANKING, flush=True, batch_traces=args.batch_traces)
            elapsed = time.perf_counter() - started
            print(f"{label}: {stats.traces} traces, {stats.calls} calls in {elapsed:.2f}s "
                  f"= {stats.calls / elapsed:,.0f} calls/s ({stats.batches} batches, "
                  f"{stats.rollup_groups_recomputed} groups recomputed)")
            with engine.begin() as conn:
                conn.exec_driver_sql("UPDATE trace_activity SET assembled_at = NULL")
        if args.retask_background:
            retask(engine, args.retask_background)
    finally:
        engine.dispose()
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
