"""A span written while its trace is being assembled re-opens the trace; nothing is lost."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine, text

from modelmix.assembly import assemble_pending
from modelmix.assembly.assembler import _assemble_claimed
from modelmix.assembly.locks import start_assembly_transaction
from modelmix.assembly.staging import claim_traces, create_working_tables
from tests.assembly.factory import RANKING, TraceBuilder, runs_of, store


def test_a_late_span_during_assembly_waits_and_re_opens_the_trace(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("summarize-thread")
    t.call(root, model="gpt-4o-mini")
    store(engine, t)
    t.call(root, model="gpt-4o", at=0.8)  # will arrive while the batch runs

    writer_done = threading.Event()
    with engine.connect() as conn, conn.begin():
        start_assembly_transaction(conn)
        create_working_tables(conn)
        assert claim_traces(conn, limit=10, settle_seconds=0, flush=True) == 1

        writer = threading.Thread(target=lambda: (store(engine, t), writer_done.set()), daemon=True)
        writer.start()
        time.sleep(1.0)
        assert not writer_done.is_set()  # the collector-side upsert waits on the claimed row
        _assemble_claimed(conn, RANKING, 1)
    writer.join(timeout=10)
    assert writer_done.is_set()

    with engine.connect() as c:
        assembled_at = c.execute(text("SELECT assembled_at FROM trace_activity")).scalar_one()
    assert assembled_at is None  # re-opened by the late span
    assert runs_of(engine, t)["summarize-thread"]["calls"] == 1  # the batch saw the committed state only

    assemble_pending(engine, ranking=RANKING, flush=True)
    run = runs_of(engine, t)["summarize-thread"]
    assert (run["calls"], run["escalation"]) == (2, "inferred")


def test_two_assemblers_at_once_assemble_each_trace_once(engine: Engine) -> None:
    traces = []
    for i in range(40):
        t = TraceBuilder()
        t.call(t.span(f"task-{i % 4}"))
        traces.append(t)
    store(engine, *traces)
    results = []

    def run() -> None:
        results.append(assemble_pending(engine, ranking=RANKING, flush=True, batch_traces=5))

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sum(r.traces for r in results) == 40
    with engine.connect() as conn:
        assert conn.execute(text("SELECT sum(calls) FROM call_rollups_hourly")).scalar_one() == 40
        assert conn.execute(text("SELECT count(*) FROM task_runs")).scalar_one() == 40
