"""The review of 2026-W47 against 2026-W46, checked against numbers worked out by hand.

One call costs (1000 input, 100 output tokens): gpt-4o 1000*2.50/1e6 + 100*10/1e6 = $0.0035,
gpt-4o-mini 1000*0.15/1e6 + 100*0.60/1e6 = $0.00021, claude-sonnet 0.003 + 0.0015 = $0.0045,
claude-haiku 0.001 + 0.0005 = $0.0015; acme-llm is unpriced.

W46: 10 classify x 0.0035 = 0.035; summarize 20 x 0.00021 + 2 retries x 0.0035 = 0.0112;
legacy 5 x 0.0045 = 0.0225. Spend 0.0687, calls 10 + 22 + 5 = 37, frontier calls 10 + 2 + 5 = 17,
runs 35 of which 2 escalated.
W47: classify 8 x 0.0035 + 12 x 0.00021 = 0.03052; summarize 20 x 0.00021 + 6 x 0.0035 = 0.0252;
extract 10 x 0.0015 = 0.015; mystery 4 unpriced. Spend 0.07072, calls 20 + 26 + 10 + 4 = 60,
frontier calls 8 + 6 = 14, runs 54 of which 6 escalated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from modelmix.review import generate_review, list_snapshots
from tests.review.conftest import Pricing

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


@pytest.fixture
def review(engine: Engine, fortnight: Pricing) -> dict[str, Any]:
    snapshot = generate_review(engine, "2026-W47", fortnight.book, fortnight.tiers, store=False, now=NOW)
    return {"data": snapshot.data, "markdown": snapshot.markdown, "html": snapshot.html}


def _headline(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(h for h in data["headline"] if h["key"] == key)


def test_window_and_week_over_week_headline(review: dict[str, Any]) -> None:
    data = review["data"]
    assert data["window"] == {"since": "2026-11-16T00:00:00Z", "until": "2026-11-23T00:00:00Z"}
    assert data["previous_week"] == "2026-W46" and data["complete"] is True

    spend = _headline(data, "spend_usd")
    assert Decimal(spend["current"]) == Decimal("0.07072")
    assert Decimal(spend["previous"]) == Decimal("0.0687")
    assert spend["change"] == pytest.approx(0.07072 / 0.0687 - 1)  # +2.94%
    assert spend["note"] == "4 unpriced calls not included"

    calls = _headline(data, "calls")
    assert (calls["current"], calls["previous"]) == (60, 37)
    assert calls["change"] == pytest.approx(60 / 37 - 1)

    frontier = _headline(data, "frontier_share")
    assert frontier["current"] == pytest.approx(14 / 60)
    assert frontier["previous"] == pytest.approx(17 / 37)
    assert frontier["change"] == pytest.approx(14 / 60 - 17 / 37)

    # W47: classify's 8 gpt-4o calls could run on gpt-4o-mini (12 clean runs there = evidence, 0% failure):
    # 8 x 0.0035 - 8 x 0.00021 = 0.02632. W46: heuristics at 10% assumed escalation —
    # classify 0.035 - (10 x 0.00021 + 0.1 x 0.035) = 0.0294; legacy 0.0225 - (5 x 0.0015 + 0.1 x 0.0225) = 0.01275.
    avoidable = _headline(data, "avoidable_spend_usd")
    assert Decimal(avoidable["current"]) == Decimal("0.02632")
    assert Decimal(avoidable["previous"]) == Decimal("0.04215")
    assert avoidable["change"] == pytest.approx(0.02632 / 0.04215 - 1)

    escalation = _headline(data, "escalation_rate")
    assert escalation["current"] == pytest.approx(6 / 54)
    assert escalation["previous"] == pytest.approx(2 / 35)
    assert escalation["change"] == pytest.approx(6 / 54 - 2 / 35)


def test_headline_as_people_read_it(review: dict[str, Any]) -> None:
    md = review["markdown"]
    assert "| Spend | $0.07072 | $0.0687 | +2.9% |" in md
    assert "| LLM calls | 60 | 37 | +62.2% |" in md
    assert "| Frontier share of calls | 23.3% | 45.9% | -22.6 pp |" in md  # 14/60 vs 17/37
    assert "| Avoidable spend | $0.02632 | $0.04215 | -37.6% |" in md
    assert "| Escalation rate | 11.1% | 5.7% | +5.4 pp |" in md  # 6/54 vs 2/35


def test_mix_shift_per_model(review: dict[str, Any]) -> None:
    mix = {m["model"]: m for m in review["data"]["mix"]}
    assert set(mix) == {"gpt-4o-mini", "gpt-4o", "claude-haiku", "acme-llm", "claude-sonnet"}
    assert (mix["gpt-4o-mini"]["calls"], mix["gpt-4o-mini"]["calls_previous"]) == (32, 20)
    assert mix["gpt-4o-mini"]["share_calls"] == pytest.approx(32 / 60)
    assert mix["gpt-4o-mini"]["share_calls_previous"] == pytest.approx(20 / 37)
    assert Decimal(mix["gpt-4o-mini"]["cost_usd"]) == Decimal("0.00672")  # 32 x 0.00021
    assert (mix["gpt-4o"]["calls"], mix["gpt-4o"]["calls_previous"]) == (14, 12)
    assert Decimal(mix["gpt-4o"]["cost_usd"]) == Decimal("0.049")  # 14 x 0.0035
    assert mix["gpt-4o"]["shift_points"] == pytest.approx(14 / 60 - 12 / 37)
    assert mix["acme-llm"]["cost_usd"] is None and mix["acme-llm"]["unpriced_calls"] == 4
    assert (mix["claude-sonnet"]["calls"], mix["claude-sonnet"]["calls_previous"]) == (0, 5)
    assert mix["gpt-4o"]["tier"] == "frontier" and mix["claude-haiku"]["tier"] == "small"


def test_daily_chart_series(review: dict[str, Any]) -> None:
    charts = review["data"]["charts"]
    assert charts["days"][0] == "2026-11-09" and charts["days"][-1] == "2026-11-22" and len(charts["days"]) == 14
    by_model = {s["name"]: s["values"] for s in charts["calls_by_model"]}
    # W47 Monday (index 7): classify runs 0, 5, 10, 15 (gpt-4o for 0 and 5), summarize 0, 5, 10, 15 (+ retries for 0
    # and 5), extract 0, 3, 6, 9 on claude-haiku, mystery 0 on acme-llm.
    assert by_model["gpt-4o"][7] == 4 and by_model["gpt-4o-mini"][7] == 6
    assert by_model["claude-haiku"][7] == 4 and by_model["acme-llm"][7] == 1
    assert sum(by_model["claude-sonnet"]) == 5 and sum(sum(v) for v in by_model.values()) == 97
    spend = {s["name"]: s["values"] for s in charts["spend_by_tier"]}
    assert sum(spend["frontier"][7:]) == pytest.approx(0.049)  # 14 gpt-4o calls in W47
    assert sum(spend["small"][:7]) == pytest.approx(0.0042)  # 20 gpt-4o-mini calls in W46


def test_biggest_movers(review: dict[str, Any]) -> None:
    movers = review["data"]["movers"]
    classify, summarize = movers["tasks"]
    # classify: 0.0035 per run -> 0.03052 / 20 = 0.001526, and its main model flipped to gpt-4o-mini (12 of 20).
    assert classify["task"] == "classify" and classify["model_changed"] is True
    assert Decimal(classify["cost_per_run_usd"]) == Decimal("0.001526")
    assert Decimal(classify["cost_per_run_usd_previous"]) == Decimal("0.0035")
    assert classify["cost_change"] == pytest.approx(0.001526 / 0.0035 - 1)
    assert (classify["main_model"], classify["main_model_previous"]) == ("gpt-4o-mini", "gpt-4o")
    assert classify["main_model_share"] == pytest.approx(12 / 20)
    # summarize: 0.0112 / 20 = 0.00056 -> 0.0252 / 20 = 0.00126 (+125%), same main model.
    assert summarize["task"] == "summarize" and summarize["model_changed"] is False
    assert Decimal(summarize["cost_per_run_usd"]) == Decimal("0.00126")
    assert summarize["cost_change"] == pytest.approx(1.25)
    assert movers["new_tasks"] == ["extract", "mystery"] and movers["gone_tasks"] == ["legacy"]


def test_new_and_retired_models(review: dict[str, Any]) -> None:
    models = review["data"]["models"]
    assert [(m["model"], m["provider"], m["calls"]) for m in models["new"]] == [
        ("claude-haiku", "anthropic", 10), ("acme-llm", "acme", 4)]
    assert Decimal(models["new"][0]["cost_usd"]) == Decimal("0.015")
    assert [(m["model"], m["calls"]) for m in models["retired"]] == [("claude-sonnet", 5)]
    assert Decimal(models["retired"][0]["cost_usd"]) == Decimal("0.0225")


def test_downgrade_candidates(review: dict[str, Any]) -> None:
    data = review["data"]
    assert data["candidates_count"] == 1
    (c,) = data["candidates"]
    assert (c["task"], c["model"], c["suggested_model"], c["calls"], c["kind"]) == (
        "classify", "gpt-4o", "gpt-4o-mini", 8, "evidence")
    assert Decimal(c["current_cost_usd"]) == Decimal("0.028")
    assert Decimal(c["projected_cost_usd"]) == Decimal("0.00168")
    assert Decimal(c["savings_usd"]) == Decimal("0.02632")


def test_escalation_changes(review: dict[str, Any]) -> None:
    e = review["data"]["escalations"]
    assert (e["runs"], e["escalated_runs"], e["explicit_runs"], e["inferred_runs"]) == (54, 6, 6, 0)
    (summarize,) = e["tasks"]  # the only task with escalations in either week
    assert summarize["task"] == "summarize" and summarize["rising"] is True
    assert (summarize["rate"], summarize["rate_previous"]) == (pytest.approx(0.30), pytest.approx(0.10))
    assert summarize["change"] == pytest.approx(0.20)
    (pair,) = e["pairs"]
    # 6 escalations out of 32 runs that started on gpt-4o-mini (12 classify + 20 summarize).
    assert (pair["from_model"], pair["to_model"], pair["escalated_runs"], pair["runs_started_on_from"]) == (
        "gpt-4o-mini", "gpt-4o", 6, 32)


def test_unpriced_models_and_price_changes(review: dict[str, Any]) -> None:
    data = review["data"]
    assert data["unpriced_models"] == [{"model": "acme-llm", "provider": "acme", "unpriced_calls": 4, "calls": 4}]
    (change,) = data["price_changes"]
    assert (change["model"], change["valid_from"]) == ("claude-haiku", "2026-11-19T00:00:00Z")
    assert Decimal(change["input_per_mtok"]) == Decimal("0.8") and Decimal(change["output_per_mtok"]) == 4
    assert Decimal(change["previous_input_per_mtok"]) == 1 and Decimal(change["previous_output_per_mtok"]) == 5
    assert "| claude-haiku | any | 2026-11-19T00:00:00Z | $0.80 / $4.00 | $1.00 / $5.00 |" in review["markdown"]


def test_the_three_things_to_do_next(review: dict[str, Any]) -> None:
    steps = review["data"]["next_steps"]
    assert [s["kind"] for s in steps] == ["downgrade", "escalation", "unpriced"]
    assert "classify" in steps[0]["text"] and "gpt-4o-mini" in steps[0]["text"] and "$0.02632" in steps[0]["text"]
    assert "summarize" in steps[1]["text"] and "10.0% to 30.0%" in steps[1]["text"]
    assert "acme-llm" in steps[2]["text"] and "modelmix prices set acme-llm --provider acme" in steps[2]["text"]
    md = review["markdown"]
    last_section = md[md.index("## The three things to do next"):]
    assert last_section.count("\n1. ") == 1 and "\n3. " in last_section and "\n## " not in last_section[3:]


def test_store_false_stores_nothing_and_the_default_stores(engine: Engine, fortnight: Pricing) -> None:
    generate_review(engine, "2026-W47", fortnight.book, fortnight.tiers, store=False, now=NOW)
    assert list_snapshots(engine) == []
    stored = generate_review(engine, "2026-W47", fortnight.book, fortnight.tiers, now=NOW)
    assert stored.id is not None and [s.id for s in list_snapshots(engine)] == [stored.id]


def test_an_unfinished_week_says_so(engine: Engine, fortnight: Pricing) -> None:
    midweek = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
    snapshot = generate_review(engine, "2026-W47", fortnight.book, fortnight.tiers, store=False, now=midweek)
    assert snapshot.data["complete"] is False
    assert "This week is not over yet" in snapshot.markdown and "This week is not over yet" in snapshot.html


def test_an_empty_database_gives_an_empty_review_not_an_error(engine: Engine) -> None:
    from tests.review.conftest import load_pricing

    pricing = load_pricing(engine)
    snapshot = generate_review(engine, "2026-W47", pricing.book, pricing.tiers, now=NOW)
    data = snapshot.data
    assert _headline(data, "calls")["current"] == 0 and _headline(data, "calls")["change"] is None
    assert _headline(data, "spend_usd")["current"] == "0" and _headline(data, "escalation_rate")["current"] is None
    assert data["mix"] == [] and data["next_steps"] == [] and data["candidates"] == []
    assert "Nothing stands out this week" in snapshot.markdown
    assert "No LLM calls in these two weeks." in snapshot.html


def test_a_week_that_does_not_exist_is_refused(engine: Engine, fortnight: Pricing) -> None:
    with pytest.raises(ValueError, match="2026 has weeks W01 to W53"):
        generate_review(engine, "2026-W54", fortnight.book, fortnight.tiers)
    assert list_snapshots(engine) == []
