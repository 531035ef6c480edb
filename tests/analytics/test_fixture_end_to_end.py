"""End to end: replay the recorded OTLP fixtures into a real collector, assemble, and check the report.

Each fixture's ``traces-*.json`` bodies are POSTed to a running collector (real OTLP/HTTP server on a
free loopback port, writing to the test database); the assembler is flushed; then ``build_report``
must equal the fixture's ground truth: calls, errors and tokens per model, runs, calls and escalated
runs per task — exactly — and costs within 0.1% of the ground-truth tokens priced per call.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from collector.app import create_collector
from modelmix.analytics import Filters, RoutingPolicy, RoutingRule, what_if
from modelmix.assembly import assemble_pending
from modelmix.pricing import PriceBook
from modelmix.report import build_report
from modelmix.settings import Settings
from modelmix.tiers import TierMap
from tests.otlp_fixtures import OtlpFixture, fixture_names, load_fixture

FIXTURES = fixture_names()


def _replay(engine: Engine, fixture: OtlpFixture) -> None:
    settings = Settings(otlp_host="127.0.0.1", otlp_http_port=0, otlp_grpc_port=0, batch_max_delay_ms=5)
    collector = create_collector(settings, engine, pricer=PriceBook.load(engine).price)  # as the service wires it
    collector.start()
    try:
        for body in fixture.bodies:
            response = httpx.post(collector.endpoints.http + "/v1/traces", content=body,
                                  headers={"Content-Type": "application/json"}, timeout=30.0)
            assert response.status_code == 200, response.text
        assert collector.force_flush(30.0)
    finally:
        collector.stop()
    assemble_pending(engine, flush=True)


def _window(fixture: OtlpFixture) -> Filters:
    return Filters(fixture.window_start, fixture.window_end)


def _expected_cost(book: PriceBook, fixture: OtlpFixture, calls: list[dict[str, Any]],
                   model: str | None = None) -> Decimal:
    """Ground-truth calls priced one by one (at ``model`` instead of their served model if given)."""
    total = Decimal(0)
    for call in calls:
        if call["status"] != "ok" or call["input_tokens"] is None:
            continue
        when = datetime.fromisoformat(call["start"].replace("Z", "+00:00"))
        rate = book.rate(call["provider"], model or call["served_model"], when)
        assert rate is not None
        cached = call["cached_input_tokens"] if fixture.cached_tokens_visible else 0
        cost = book.cost(rate, input_tokens=call["input_tokens"], cache_read_tokens=cached, cache_write_tokens=0,
                         output_tokens=call["output_tokens"], reasoning_tokens=None)
        assert cost is not None
        total += cost
    return total


@pytest.fixture(params=FIXTURES)
def replayed(request: pytest.FixtureRequest, engine: Engine) -> OtlpFixture:
    fixture = load_fixture(request.param)
    _replay(engine, fixture)
    return fixture


@pytest.mark.skipif(not FIXTURES, reason="no recorded OTLP fixtures on this machine")
def test_report_equals_ground_truth(replayed: OtlpFixture, engine: Engine) -> None:
    truth = replayed.ground_truth
    book = PriceBook.load(engine)
    report = build_report(engine, _window(replayed), book, TierMap.load(engine, book))
    totals = report["totals"]
    assert (totals["calls"], totals["errors"], totals["task_runs"], totals["escalated_runs"]) == (
        truth["totals"]["calls"], truth["totals"]["errors"], truth["totals"]["task_runs"],
        truth["totals"]["runs_escalated"])
    assert (totals["input_tokens"], totals["output_tokens"]) == (
        truth["totals"]["input_tokens"], truth["totals"]["output_tokens"])
    models = {m["model"]: m for m in report["models"]}
    assert set(models) == {m["canonical_model"] for m in truth["models"]}
    for expected in truth["models"]:
        got = models[expected["canonical_model"]]
        assert got["provider"] == expected["provider"]
        assert (got["calls"], got["errors"], got["input_tokens"], got["output_tokens"]) == (
            expected["calls"], expected["errors"], expected["input_tokens"], expected["output_tokens"]), got
        if replayed.cached_tokens_visible:
            assert got["cached_input_tokens"] == expected["cached_input_tokens"]
        served = [c for c in truth["calls"] if c["served_model"] == expected["model"]]
        want = float(_expected_cost(book, replayed, served))
        assert got["cost_usd"] == pytest.approx(want, rel=1e-3)
    tasks = {t["task"]: t for t in report["tasks"]}
    assert set(tasks) == {t["task"] for t in truth["tasks"]}
    for expected in truth["tasks"]:
        got = tasks[expected["task"]]
        assert (got["runs"], got["calls"], got["escalated_runs"]) == (
            expected["runs"], expected["calls"], expected["runs_escalated"]), got
        task_calls = [c for c in truth["calls"] if c["task"] == expected["task"]]
        assert got["cost_usd"] == pytest.approx(float(_expected_cost(book, replayed, task_calls)), rel=1e-3)
    want_total = float(_expected_cost(book, replayed, truth["calls"]))
    assert totals["cost_usd"] == pytest.approx(want_total, rel=1e-3)


@pytest.mark.skipif("openai-v2" not in FIXTURES, reason="the openai-v2 fixture is not on this machine")
def test_openai_fixture_candidates_and_what_if(engine: Engine) -> None:
    fixture = load_fixture("openai-v2")
    _replay(engine, fixture)
    book = PriceBook.load(engine)
    report = build_report(engine, _window(fixture), book, TierMap.load(engine, book))
    ranked = [(c["task"], c["model"]) for c in report["downgrade_candidates"]]
    assert ranked, "expected at least one downgrade candidate"
    top = report["downgrade_candidates"][0]
    assert (top["task"], top["model"], top["suggested_model"]) == ("summarize-thread", "gpt-4o", "gpt-4o-mini")
    assert top["savings_usd"] > 0
    assert ranked.index(("summarize-thread", "gpt-4o")) < (
        ranked.index(("code-review", "gpt-4o")) if ("code-review", "gpt-4o") in ranked else len(ranked))

    classify_mini = [c for c in fixture.ground_truth["calls"]
                     if c["task"] == "classify-ticket" and c["requested_model"] == "gpt-4o-mini"]
    repriced = _expected_cost(book, fixture, classify_mini, model="gpt-4o")
    actual = _expected_cost(book, fixture, classify_mini)
    policy = RoutingPolicy((RoutingRule("classify-ticket", "gpt-4o-mini", "gpt-4o", escalation_rate=0.0),))
    result = what_if(engine, _window(fixture), policy, book)
    increase = result.projected_cost_usd - result.actual_cost_usd
    # Exact up to the 1e-10 rounding of each stored per-call cost.
    assert abs(increase - (repriced - actual)) <= Decimal("1e-10") * len(classify_mini)
    assert increase > 0
    assert result.moved_calls == sum(1 for c in classify_mini if c["status"] == "ok")
