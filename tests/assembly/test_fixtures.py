"""Acceptance: both recorded fixtures, decoded and stored by the real collector pieces, assembled.

Runs, calls and escalated runs per task must equal the ground truth exactly (the ground truth
counts marked and unmarked escalations; tasks come from the root span name and, on some runs,
``modelmix.task``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from collector.writer import PostgresWriter
from modelmix.assembly import assemble_pending
from modelmix.conventions import decode_traces, parse_json_traces
from modelmix.pricing import PriceBook
from tests.otlp_fixtures import fixture_names, load_fixture

FIXTURES = fixture_names()


@pytest.mark.skipif(not FIXTURES, reason="no recorded OTLP fixtures on this machine")
@pytest.mark.parametrize("name", FIXTURES)
def test_runs_calls_and_escalations_per_task_match_the_ground_truth(engine: Engine, name: str) -> None:
    fixture = load_fixture(name)
    writer = PostgresWriter(engine, pricer=PriceBook.load(engine).price)
    try:
        for body in fixture.bodies:
            batch = decode_traces(parse_json_traces(body), now=fixture.window_end)
            assert batch.rejected == 0, batch.messages
            writer.write(batch.calls, batch.skeletons)
    finally:
        writer.close()

    stats = assemble_pending(engine, flush=True)
    assert stats.traces > 0

    with engine.connect() as conn:
        got = {
            row.task: (row.runs, row.calls, row.escalated)
            for row in conn.execute(text(
                "SELECT task, count(*) AS runs, sum(calls) AS calls, "
                "count(*) FILTER (WHERE escalated) AS escalated FROM task_runs GROUP BY task"
            ))
        }
        marked: dict[str, int] = dict(conn.execute(text(
            "SELECT task, count(*) FROM task_runs WHERE escalation = 'explicit' GROUP BY task"
        )).tuples().all())
        rolled = conn.execute(text("SELECT sum(calls) FROM call_rollups_hourly")).scalar_one()
    expected = {t["task"]: (t["runs"], t["calls"], t["runs_escalated"]) for t in fixture.ground_truth["tasks"]}
    assert got == expected
    expected_marked = {t["task"]: t["runs_escalated_marked"] for t in fixture.ground_truth["tasks"]
                       if t["runs_escalated_marked"]}
    assert marked == expected_marked
    assert rolled == fixture.ground_truth["totals"]["calls"]
    assert sum(runs for runs, _, _ in got.values()) == fixture.ground_truth["totals"]["task_runs"]
