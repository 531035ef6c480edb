"""Pricing the shared acceptance fixtures' ground-truth calls against independently computed list prices.

List prices (USD per million tokens), from the OpenAI pricing page (platform.openai.com/docs/pricing):
gpt-4o $2.50 input / $1.25 cached input / $10.00 output; gpt-4o-mini $0.15 / $0.075 / $0.60.
OpenAI counts cached tokens inside prompt tokens, so the uncached part is input - cached.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from modelmix.pricing import DEFAULT_SOURCE, PriceBook
from modelmix.records import LlmCall
from tests.conftest import FIXTURES_DIR

LIST_PRICES = {  # canonical model: (input, cached input, output) per 1M tokens, OpenAI pricing page
    "gpt-4o": (Decimal("2.50"), Decimal("1.25"), Decimal("10.00")),
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.075"), Decimal("0.60")),
}
FAMILY = {"gpt-4o-2024-08-06": "gpt-4o", "gpt-4o": "gpt-4o",
          "gpt-4o-mini-2024-07-18": "gpt-4o-mini", "gpt-4o-mini": "gpt-4o-mini"}
FIXTURES = sorted(FIXTURES_DIR.glob("*/ground_truth_*.json"))


def expected_cost(call: dict[str, Any]) -> Decimal:
    price_in, price_cached, price_out = LIST_PRICES[FAMILY[call["served_model"] or call["requested_model"]]]
    cached = call["cached_input_tokens"]
    return ((call["input_tokens"] - cached) * price_in + cached * price_cached
            + call["output_tokens"] * price_out) / Decimal(1_000_000)


def as_llm_call(index: int, call: dict[str, Any]) -> LlmCall:
    return LlmCall(
        trace_id=index.to_bytes(16, "big"), span_id=index.to_bytes(8, "big"), parent_span_id=None,
        start_time=datetime.fromisoformat(call["start"]), end_time=datetime.fromisoformat(call["end"]),
        service="acceptance", provider=call["provider"], request_model=call["requested_model"],
        response_model=call["served_model"], input_tokens=call["input_tokens"],
        cache_read_tokens=call["cached_input_tokens"], output_tokens=call["output_tokens"],
        status=call["status"],
    )


def test_both_fixtures_are_present() -> None:
    assert {p.parent.name for p in FIXTURES} >= {"openai-v2", "openllmetry"}


@pytest.mark.parametrize("path", FIXTURES, ids=[p.parent.name for p in FIXTURES])
def test_ground_truth_calls_priced_within_a_tenth_of_a_percent(path: Any) -> None:
    truth = json.loads(path.read_text())
    book = PriceBook.load(None)
    ours: dict[str, Decimal] = defaultdict(Decimal)
    expected: dict[str, Decimal] = defaultdict(Decimal)
    tokens: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for index, call in enumerate(truth["calls"], start=1):
        priced = book.price(as_llm_call(index, call))
        assert priced.cost_usd is not None, call["call_id"]
        assert priced.price_source == DEFAULT_SOURCE
        ours[priced.canonical_model or ""] += priced.cost_usd
        expected[FAMILY[call["served_model"] or call["requested_model"]]] += expected_cost(call)
        counts = tokens[priced.canonical_model or ""]
        counts[0] += 1
        counts[1] += call["input_tokens"]
        counts[2] += call["output_tokens"]
        counts[3] += call["cached_input_tokens"]

    # The fixture's own per-model totals agree with its calls, grouped by our canonical model.
    by_model = {m["canonical_model"]: m for m in truth["models"]}
    assert set(by_model) == set(ours) == set(expected)
    for model, m in by_model.items():
        assert tokens[model] == [m["calls"], m["input_tokens"], m["output_tokens"], m["cached_input_tokens"]]

    for model in expected:
        assert abs(ours[model] - expected[model]) <= expected[model] * Decimal("0.001"), model
    total_ours, total_expected = sum(ours.values(), Decimal(0)), sum(expected.values(), Decimal(0))
    assert abs(total_ours - total_expected) <= total_expected * Decimal("0.001")
    print(f"\n{path.parent.name}: total ${total_ours:.6f} (independent ${total_expected:.6f}); "
          + ", ".join(f"{m} ${ours[m]:.6f}" for m in sorted(ours)))
