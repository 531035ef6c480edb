"""Downgrade candidates (evidence and heuristic) and what-if routing, against hand-computed money."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from modelmix.analytics import (
    FilterError,
    Filters,
    RoutingPolicy,
    RoutingRule,
    avoidable_spend,
    candidate_calls,
    downgrade_candidates,
    overview,
    what_if,
)
from modelmix.analytics.stats import wilson_interval
from tests.analytics.factory import Seed
from tests.analytics.pricing_fixtures import ExplicitTiers, price_book

DAY = datetime(2026, 11, 3, tzinfo=UTC)
WINDOW = Filters(DAY, DAY + timedelta(days=1))


def _seed(seed: Seed) -> None:
    t = DAY + timedelta(hours=10)
    n = 0

    def call(**kw: object) -> None:
        nonlocal n
        n += 1
        seed.call(trace_no=n, start=t + timedelta(seconds=n), **kw)  # type: ignore[arg-type]

    # classify: 40 first attempts on gpt-4o-mini (500 in / 20 out = $0.000087 each) ...
    for _ in range(40):
        call(model="gpt-4o-mini", task="classify", input_tokens=500, output_tokens=20, cost="0.000087")
    # ... 20 first attempts on gpt-4o (600 in / 20 out = $0.0017 each) ...
    for _ in range(20):
        call(model="gpt-4o", task="classify", input_tokens=600, output_tokens=20, cost="0.0017")
    # ... and 2 escalation retries on gpt-4o, which are not candidates themselves.
    for _ in range(2):
        call(model="gpt-4o", task="classify", input_tokens=600, output_tokens=20, cost="0.0017",
             escalation="explicit")
    # summarize: 10 simple calls on claude-sonnet (200 in / 50 out = $0.00135 each), nothing cheaper yet.
    for _ in range(10):
        call(model="claude-sonnet", provider="anthropic", task="summarize", input_tokens=200, output_tokens=50,
             cost="0.00135", finish_reason="end_turn")
    # review: long calls on gpt-4o (not simple): 3000 in / 400 out = $0.0115.
    for _ in range(5):
        call(model="gpt-4o", task="review", input_tokens=3000, output_tokens=400, cost="0.0115")
    # agent: short calls on gpt-4o that call tools (not simple).
    for _ in range(5):
        call(model="gpt-4o", task="agent", input_tokens=100, output_tokens=10, cost="0.00035",
             finish_reason="tool_calls")
    # extract: short calls on gpt-4o, but gpt-4o-mini fails half its extract runs (evidence against).
    for _ in range(5):
        call(model="gpt-4o", task="extract", input_tokens=100, output_tokens=10, cost="0.00035")
    # Runs: classify on gpt-4o-mini 40 runs, 2 escalated; extract on gpt-4o-mini 20 runs, 10 escalated.
    for i in range(40):
        esc = i < 2
        seed.run(trace_no=1000 + i, start=t, task="classify", first_model="gpt-4o-mini",
                 escalation="explicit" if esc else None, escalated_from="gpt-4o-mini" if esc else None,
                 escalated_to="gpt-4o" if esc else None)
    for i in range(20):
        esc = i < 10
        seed.run(trace_no=2000 + i, start=t, task="extract", first_model="gpt-4o-mini",
                 escalation="inferred" if esc else None, escalated_from="gpt-4o-mini" if esc else None,
                 escalated_to="gpt-4o" if esc else None)
    seed.commit()


def test_wilson_interval_matches_the_textbook_value() -> None:
    # 2 failures in 40 trials at z = 1.96: centre 0.08943, half-width 0.07561.
    low, high = wilson_interval(2, 40)
    assert low == pytest.approx(0.01382, abs=1e-4)
    assert high == pytest.approx(0.16504, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_candidates_evidence_then_heuristic_sorted_by_savings(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    found = downgrade_candidates(engine, WINDOW, price_book(), ExplicitTiers())
    assert [(c.task, c.model, c.suggested_model) for c in found] == [
        ("classify", "gpt-4o", "gpt-4o-mini"),
        ("summarize", "claude-sonnet", "claude-haiku"),
    ]
    evidence, heuristic = found
    # classify/gpt-4o: 20 first attempts (the 2 retries are excluded).
    assert evidence.kind == "evidence" and evidence.calls == 20
    assert evidence.current_cost_usd == Decimal("0.034")
    # 20 x (600 x 0.15 + 20 x 0.60) / 1e6 = 0.00204, plus 2/40 x 0.034 expected escalations = 0.0017.
    assert evidence.projected_cost_usd == Decimal("0.00374")
    assert evidence.savings_usd == Decimal("0.03026")
    assert evidence.expected_escalation_rate == pytest.approx(0.05)
    assert evidence.sample_runs == 40
    assert (evidence.interval_low, evidence.interval_high) == pytest.approx((0.01382, 0.16504), abs=1e-4)
    assert evidence.confidence == "medium"  # >= 30 runs and upper bound <= 30%, but < 100 runs
    assert "2 of 40 runs" in evidence.basis
    # summarize/claude-sonnet: 10 x (200 x 1 + 50 x 5) / 1e6 = 0.0045 at haiku, plus 10% x 0.0135.
    assert heuristic.kind == "heuristic" and heuristic.calls == 10
    assert heuristic.current_cost_usd == Decimal("0.0135")
    assert heuristic.projected_cost_usd == Decimal("0.00585")
    assert heuristic.savings_usd == Decimal("0.00765")
    assert heuristic.confidence == "low" and heuristic.sample_runs == 0
    assert heuristic.provider == "anthropic"
    assert "simple" in heuristic.basis and "claude-haiku" in heuristic.basis
    assert avoidable_spend(engine, WINDOW, price_book(), ExplicitTiers()) == Decimal("0.03791")


def test_overview_reports_avoidable_spend_with_pricing(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    assert overview(engine, WINDOW, price_book(), ExplicitTiers()).avoidable_spend_usd == Decimal("0.03791")


def test_candidate_calls_are_first_attempts_only(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    calls = candidate_calls(engine, WINDOW, "classify", "gpt-4o", limit=100)
    assert len(calls) == 20
    assert calls["escalation"].isna().all()
    assert "attributes" not in calls.columns


def test_candidates_respect_the_task_filter(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    found = downgrade_candidates(engine, WINDOW.with_tasks("summarize"), price_book(), ExplicitTiers())
    assert [c.task for c in found] == ["summarize"]


def test_no_candidates_in_an_empty_window(engine: Engine) -> None:
    assert downgrade_candidates(engine, WINDOW, price_book(), ExplicitTiers()) == []


def test_what_if_routing_to_a_pricier_model_raises_cost_by_the_repriced_amount(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    actual = overview(engine, WINDOW).current.cost_usd
    policy = RoutingPolicy((RoutingRule("classify", "gpt-4o-mini", "gpt-4o", escalation_rate=0.0),))
    result = what_if(engine, WINDOW, policy, price_book())
    assert result.actual_cost_usd == actual
    # 40 calls x (500 x 2.50 + 20 x 10) / 1e6 = 0.058 instead of 40 x 0.000087 = 0.00348.
    assert result.projected_cost_usd - result.actual_cost_usd == Decimal("0.05452")
    assert result.savings_usd == Decimal("-0.05452")
    assert result.moved_calls == 40 and result.unpriceable_calls == 0
    projected = result.projected_mix.set_index("model")
    assert projected.loc["gpt-4o", "calls"] == 20 + 2 + 5 + 5 + 5 + 40
    assert "gpt-4o-mini" not in projected.index
    rule = result.by_rule.iloc[0]
    assert rule["moved_calls"] == 40 and rule["projected_cost_usd"] == pytest.approx(0.058)


def test_what_if_adds_the_assumed_escalations_at_current_cost(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    policy = RoutingPolicy((RoutingRule("classify", "gpt-4o-mini", "gpt-4o", escalation_rate=0.5),))
    result = what_if(engine, WINDOW, policy, price_book())
    assert result.projected_cost_usd - result.actual_cost_usd == Decimal("0.05452") + Decimal("0.5") * Decimal(
        "0.00348")


def test_what_if_first_matching_rule_wins_and_any_task_rules(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    policy = RoutingPolicy((
        RoutingRule("summarize", "claude-sonnet", "claude-haiku"),
        RoutingRule(None, "claude-sonnet", "gpt-4o"),  # would match the same calls; the first rule wins
    ))
    result = what_if(engine, WINDOW, policy, price_book())
    assert list(result.by_rule["moved_calls"]) == [10, 0]
    assert result.savings_usd == Decimal("0.0135") - Decimal("0.0045")


def test_what_if_to_an_unpriced_model_keeps_actual_cost_and_says_so(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    policy = RoutingPolicy((RoutingRule("review", "gpt-4o", "no-such-model-xyz"),))
    result = what_if(engine, WINDOW, policy, price_book())
    assert result.unpriceable_calls == 5 and result.moved_calls == 0
    assert result.savings_usd == Decimal(0)


def test_what_if_applies_size_tiered_prices_per_call(seed: Seed, engine: Engine) -> None:
    t = DAY + timedelta(hours=3)
    seed.call(trace_no=1, start=t, model="gpt-4o-mini", task="long", input_tokens=250_000, output_tokens=100,
              cost="0.03756")
    seed.call(trace_no=2, start=t, model="gpt-4o-mini", task="long", input_tokens=1_000, output_tokens=100,
              cost="0.00021")
    seed.commit()
    from modelmix.pricing.book import PriceBook

    book = PriceBook()  # bundled prices: claude-sonnet-4-5 is $3/$15, or $6/$22.50 above 200k prompt tokens
    policy = RoutingPolicy((RoutingRule("long", "gpt-4o-mini", "claude-sonnet-4-5"),))
    result = what_if(engine, WINDOW, policy, book)
    # 250k-token call: 250000 x 6 + 100 x 22.5 = 1.50225; 1k-token call: 1000 x 3 + 100 x 15 = 0.0045.
    assert result.projected_cost_usd == Decimal("1.50675")


def test_routing_rules_are_validated() -> None:
    with pytest.raises(FilterError):
        RoutingRule("t", "gpt-4o", "gpt-4o-mini", escalation_rate=1.5)
    with pytest.raises(FilterError):
        RoutingRule("t", "", "gpt-4o-mini")
