"""Calls written by the collector's writer — with and without a task of their own — are each counted
once in every rollup after assembly (the writer must not mark them as assembled already)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from collector.writer import PostgresWriter
from modelmix.assembly import assemble_pending
from tests.assembly.factory import RANKING
from tests.collector.factories import make_call, make_skeleton


def test_every_written_call_is_rolled_up_once(engine: Engine) -> None:
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    calls, skeletons = [], []
    for i in range(10):
        root = make_skeleton(name="root", start_time=now + timedelta(minutes=i))
        skeletons.append(root)
        own = {"task": "own-task"} if i % 2 else {}  # half carry modelmix.task on the call span itself
        for model in ("gpt-4o-mini", "gpt-4o"):
            calls.append(make_call(trace_id=root.trace_id, parent_span_id=root.span_id, start_time=root.start_time,
                                   request_model=model, response_model=model, **own))
    for i in range(5):  # single calls with a task of their own: nothing about them changes on assembly
        calls.append(make_call(start_time=now + timedelta(minutes=i), task="solo-task"))
    writer = PostgresWriter(engine)
    try:
        writer.write(calls, skeletons)
    finally:
        writer.close()
    assemble_pending(engine, ranking=RANKING, flush=True, settle_seconds=0)
    with engine.connect() as conn:
        counted = conn.execute(text(
            "SELECT (SELECT sum(calls) FROM call_rollups_hourly), (SELECT sum(calls) FROM call_reprice_rollups_hourly),"
            " (SELECT sum(calls) FROM call_model_names_hourly), (SELECT sum(calls) FROM task_run_rollups_hourly),"
            " (SELECT count(*) FROM llm_calls)")).one()
        tasks = dict(conn.execute(text("SELECT task, sum(calls) FROM call_rollups_hourly GROUP BY task")).all())
    assert tuple(int(n) for n in counted) == (25, 25, 25, 25, 25)
    assert tasks == {"own-task": 10, "root": 10, "solo-task": 5}
