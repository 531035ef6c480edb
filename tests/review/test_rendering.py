"""Pure pieces of the review: money and change formatting, chart ticks and escaping, next-step ordering."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from modelmix.review.advice import next_steps
from modelmix.review.format import change_tone, points, signed_pct, usd
from modelmix.review.svg import Series, nice_ticks, stacked_columns
from modelmix.review.values import money, relative_change


@pytest.mark.parametrize("value, shown", [
    ("0.07072", "$0.07072"), ("0.0035", "$0.0035"), ("0.001526", "$0.001526"), ("0.1", "$0.10"),
    ("0.123456", "$0.1235"), ("1", "$1.00"), ("12.345", "$12.35"), ("1234567.891", "$1,234,567.89"),
    ("0", "$0.00"), ("-0.5", "-$0.50"), (None, "unknown"),
])
def test_usd(value: str | None, shown: str) -> None:
    assert usd(value) == shown


def test_money_is_an_exact_string_and_unknown_stays_unknown() -> None:
    assert money(Decimal("0.0700000000")) == "0.07"
    assert money(Decimal("10")) == "10"  # not "1E+1"
    assert money(0.1 + 0.2) == "0.3"  # binary noise beyond the 10 stored places is dropped
    assert money(float("nan")) is None and money(None) is None
    assert money(Decimal("-0")) == "0"


def test_changes() -> None:
    assert relative_change(Decimal("0.07072"), Decimal("0.0687")) == pytest.approx(0.029403, abs=1e-6)
    assert relative_change(5, 0) is None and relative_change(None, 1) is None
    assert signed_pct(-0.5641) == "-56.4%" and points(0.2) == "+20.0 pp" and points(None) == "—"
    assert change_tone({"change": 0.1, "better": "lower"}) == "bad"
    assert change_tone({"change": -0.1, "better": "lower"}) == "good"
    assert change_tone({"change": 0.1, "better": None}) == "neutral"


@pytest.mark.parametrize("maximum, ticks", [
    (0.0213, [0.0, 0.01, 0.02, 0.03]),
    (97, [0.0, 25.0, 50.0, 75.0, 100.0]),
    (1, [0.0, 0.25, 0.5, 0.75, 1.0]),
    (0, [0.0, 1.0]),
    (float("nan"), [0.0, 1.0]),
])
def test_nice_ticks(maximum: float, ticks: list[float]) -> None:
    assert nice_ticks(maximum) == pytest.approx(ticks)


def test_chart_escapes_names_and_draws_one_rect_per_positive_value() -> None:
    svg = stacked_columns(["Mon", "Tue", "Wed"], [Series("<b>&x", [1, 0, 2], "#000"), Series("y", [1, 0, 0], "#111")],
                          percent=True, value_format=lambda v: f"{v:.0f}", title="t<")
    assert "<b>" not in svg and "&lt;b&gt;&amp;x" in svg and "t&lt;" in svg
    assert svg.count("<rect") == 3  # Tue has no calls: nothing drawn, a dash instead
    assert "Mon · y: 1 (50.0%)" in svg


def _data(candidates: int, rising: int, unpriced: int) -> dict[str, Any]:
    return {
        "window": {"since": "2026-11-16T00:00:00Z", "until": "2026-11-23T00:00:00Z"},
        "candidates": [{"task": f"t{i}", "model": "big", "suggested_model": "small", "calls": 10,
                        "savings_usd": str(10 - i), "confidence": "high", "kind": "evidence"}
                       for i in range(candidates)],
        "escalations": {"tasks": [{"task": f"e{i}", "rate": 0.5, "rate_previous": 0.1, "change": 0.4 - i / 100,
                                   "escalated_runs": 5, "runs": 10, "rising": True} for i in range(rising)]
                       + [{"task": "flat", "rate": 0.1, "rate_previous": 0.1, "change": 0.0, "escalated_runs": 1,
                           "runs": 10, "rising": False}]},
        "unpriced_models": [{"model": f"m{i}", "provider": "", "unpriced_calls": 3, "calls": 3}
                            for i in range(unpriced)],
    }


def test_one_of_each_kind_first_then_the_next_of_each() -> None:
    assert [s["kind"] for s in next_steps(_data(3, 1, 1))] == ["downgrade", "escalation", "unpriced"]
    assert [s["text"][:9] for s in next_steps(_data(3, 0, 1))] == ["Route t0 ", "Set a pri", "Route t1 "]
    assert [s["kind"] for s in next_steps(_data(0, 2, 0))] == ["escalation", "escalation"]
    assert next_steps(_data(0, 0, 0)) == []
    assert len(next_steps(_data(5, 5, 5))) == 3


def test_model_names_in_suggested_commands_are_shell_quoted() -> None:
    data = _data(0, 0, 0)
    data["unpriced_models"] = [{"model": "x; rm -rf ~", "provider": "a b", "unpriced_calls": 1, "calls": 1}]
    (step,) = next_steps(data)
    assert "modelmix prices set 'x; rm -rf ~' --provider 'a b' --input USD" in step["text"]
