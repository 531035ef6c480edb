"""The demo through the real collector into PostgreSQL: stored calls equal what the demo says it
sent, a second identical run stores nothing new, and the optional price change reprices history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from collector.app import Collector, create_collector
from modelmix.db.models import LlmCallRow, SpanSkeletonRow
from modelmix.demo import DemoSummary, run_demo
from modelmix.demo.price_change import apply_price_change
from modelmix.demo.schedule import demo_window
from modelmix.pricing import PriceBook, load_overrides
from modelmix.settings import Settings

MTOK = Decimal(1_000_000)


@pytest.fixture
def collector(engine: Engine) -> Iterator[Collector]:
    settings = Settings(otlp_host="127.0.0.1", otlp_http_port=0, otlp_grpc_port=0, batch_max_delay_ms=5)
    running = create_collector(settings, engine, pricer=PriceBook.load(engine).price)
    running.start()
    yield running
    running.stop()


def stored_totals(engine: Engine) -> dict[str, object]:
    c = LlmCallRow
    with engine.connect() as conn:
        row = conn.execute(select(
            func.count(), func.count().filter(c.status == "error"),
            func.sum(c.input_tokens), func.sum(c.output_tokens), func.sum(c.cache_read_tokens),
            func.sum(c.cache_write_tokens), func.sum(c.reasoning_tokens),
        )).one()
        by_model = dict(conn.execute(select(c.model, func.count()).group_by(c.model)).all())
        by_provider = dict(conn.execute(select(c.provider, func.count()).group_by(c.provider)).all())
        by_service = dict(conn.execute(select(c.service, func.count()).group_by(c.service)).all())
        by_env = dict(conn.execute(select(c.environment, func.count()).group_by(c.environment)).all())
        skeletons = conn.execute(select(func.count()).select_from(SpanSkeletonRow)).scalar_one()
    names = ("calls", "failed", "input", "output", "cache_read", "cache_write", "reasoning")
    totals: dict[str, object] = dict(zip(names, (int(v or 0) for v in row), strict=True))
    totals.update(by_model=by_model, by_provider=by_provider, by_service=by_service, by_env=by_env,
                  skeletons=int(skeletons))
    return totals


def expected_totals(summary: DemoSummary) -> dict[str, object]:
    return {
        "calls": summary.calls, "failed": summary.failed_calls, "input": summary.input_tokens,
        "output": summary.output_tokens, "cache_read": summary.cache_read_tokens,
        "cache_write": summary.cache_write_tokens, "reasoning": summary.reasoning_tokens,
        "by_model": summary.calls_by_model, "by_provider": summary.calls_by_provider,
        "by_service": summary.calls_by_service, "by_env": summary.calls_by_environment,
        "skeletons": summary.spans - summary.calls,
    }


def test_stored_calls_equal_what_the_demo_sent_and_a_rerun_adds_nothing(
    collector: Collector, engine: Engine
) -> None:
    now = datetime.now(UTC)
    summary = run_demo(collector.endpoints.http, weeks=2, scale=0.03, seed=11, now=now)
    assert summary.calls > 1000
    assert stored_totals(engine) == expected_totals(summary)

    again = run_demo(collector.endpoints.http, weeks=2, scale=0.03, seed=11, now=now)
    assert again.spans == summary.spans
    assert stored_totals(engine) == expected_totals(summary)


def test_the_price_change_reprices_gemini_pro_from_the_middle_of_the_window(
    collector: Collector, engine: Engine, db_url: str
) -> None:
    now = datetime.now(UTC)
    summary = run_demo(collector.endpoints.http, weeks=2, scale=0.03, seed=5, now=now)
    assert summary.calls_by_model["gemini-2.5-pro"] > 20
    window = demo_window(2, now)

    change = apply_price_change(db_url, window)
    assert change.override_id is not None and change.rows_repriced > 0
    again = apply_price_change(db_url, window)
    assert again.override_id is None, "an identical override is not stored twice"
    assert len(load_overrides(engine)) == 1

    c = LlmCallRow
    with engine.connect() as conn:
        rows = conn.execute(select(c.start_time, c.input_tokens, c.cache_read_tokens, c.output_tokens,
                                   c.cost_usd, c.price_id)
                            .where(c.model == "gemini-2.5-pro", c.status == "ok")).all()
    after = [r for r in rows if r.start_time >= change.valid_from]
    before = [r for r in rows if r.start_time < change.valid_from]
    assert after and before
    for r in after:
        assert r.price_id == change.override_id
        uncached = r.input_tokens - (r.cache_read_tokens or 0)
        expected = (uncached * Decimal("1.00") + (r.cache_read_tokens or 0) * Decimal("0.10")
                    + r.output_tokens * Decimal("8.00")) / MTOK
        assert r.cost_usd == pytest.approx(expected, rel=Decimal("1e-9"))
    for r in before:
        assert r.price_id is None
        assert r.cost_usd is not None and r.cost_usd > 0


def test_assembled_task_runs_and_escalations_match_what_the_demo_built(
    collector: Collector, engine: Engine
) -> None:
    from modelmix.assembly import assemble_pending
    from modelmix.db.models import TaskRunRow

    summary = run_demo(collector.endpoints.http, weeks=2, scale=0.03, seed=11)
    assemble_pending(engine, flush=True)
    r = TaskRunRow
    with engine.connect() as conn:
        runs = dict(conn.execute(select(r.task, func.count()).group_by(r.task)).all())
        explicit = dict(conn.execute(select(r.task, func.count()).where(r.escalation == "explicit")
                                     .group_by(r.task)).all())
        inferred = dict(conn.execute(select(r.task, func.count()).where(r.escalation == "inferred")
                                     .group_by(r.task)).all())
    # Every task is resolved, whether named by modelmix.task (on the root or on the call) or by the
    # root span's name; the HTTP root "POST /v1/search" never becomes a task.
    assert runs == summary.runs_by_task
    assert sum(explicit.values()) == summary.escalations_marked > 0
    assert sum(inferred.values()) == summary.escalations_unmarked > 0
    escalating = {"draft-reply", "explain-error", "generate-tests"}
    assert set(explicit) | set(inferred) <= escalating
    # Two-step pipelines and the agent's cheaper final call are not escalations.
    for task in ("answer-question", "code-review", "plan-trip"):
        assert task not in explicit and task not in inferred
