"""A fortnight of traffic for review tests: ISO weeks 2026-W46 and 2026-W47, with prices and tiers in the DB.

Prices (USD per million input / output tokens, from 2026-01-01): gpt-4o 2.50 / 10.00, gpt-4o-mini
0.15 / 0.60, claude-sonnet 3.00 / 15.00, claude-haiku 1.00 / 5.00; a claude-haiku cut to 0.80 / 4.00
takes effect Thu 2026-11-19 (inside W47, after every claude-haiku call). acme-llm has no price.
Every call is 1000 input / 100 output tokens, so one call costs: gpt-4o $0.0035, gpt-4o-mini
$0.00021, claude-sonnet $0.0045, claude-haiku $0.0015.

W46: classify 10 runs on gpt-4o; summarize 20 runs on gpt-4o-mini, 2 of them escalated to gpt-4o
(explicit); legacy 5 runs on claude-sonnet.
W47: classify 20 runs, 8 on gpt-4o and 12 on gpt-4o-mini; summarize 20 runs, 6 escalated; extract
10 runs on claude-haiku (Mon-Wed); mystery 4 runs on the unpriced acme-llm.

The expected numbers are worked out by hand in test_review_numbers.py; nothing here computes them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from modelmix.pricing import PriceOverride, set_price_override
from modelmix.tiers import set_tier
from tests.analytics.factory import Seed

W46 = datetime(2026, 11, 9, tzinfo=UTC)
W47 = datetime(2026, 11, 16, tzinfo=UTC)
HAIKU_CUT = datetime(2026, 11, 19, tzinfo=UTC)
PRICES = {  # model: (input, output) USD per million tokens
    "gpt-4o": ("2.50", "10.00"),
    "gpt-4o-mini": ("0.15", "0.60"),
    "claude-sonnet": ("3.00", "15.00"),
    "claude-haiku": ("1.00", "5.00"),
}
COST = {"gpt-4o": "0.0035", "gpt-4o-mini": "0.00021", "claude-sonnet": "0.0045", "claude-haiku": "0.0015",
        "acme-llm": None}
PROVIDER = {"gpt-4o": "openai", "gpt-4o-mini": "openai", "claude-sonnet": "anthropic", "claude-haiku": "anthropic",
            "acme-llm": "acme"}
ROLLUP_TIERS = {"gpt-4o": "frontier", "gpt-4o-mini": "small", "claude-sonnet": "frontier", "claude-haiku": "small"}


def store_prices(engine: Engine) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for model, (i, o) in PRICES.items():
        set_price_override(engine, PriceOverride(model=model, input_per_mtok=Decimal(i), output_per_mtok=Decimal(o),
                                                 valid_from=start))
    set_price_override(engine, PriceOverride(model="claude-haiku", input_per_mtok=Decimal("0.80"),
                                             output_per_mtok=Decimal("4.00"), valid_from=HAIKU_CUT, note="price cut"))
    # The tier map's defaults would call gpt-4o "mid" and give claude-sonnet no sibling; say what we mean.
    set_tier(engine, "gpt-4o", tier="frontier")
    set_tier(engine, "claude-sonnet", cheaper_sibling="claude-haiku")


class Fortnight:
    def __init__(self, engine: Engine) -> None:
        self.seed = Seed(engine, tiers=dict(ROLLUP_TIERS))
        self.trace_no = 0

    def _call(self, trace_no: int, start: datetime, model: str, task: str, escalation: str | None = None) -> None:
        row = self.seed.call(trace_no=trace_no, start=start, model=model, task=task, provider=PROVIDER[model],
                             input_tokens=1000, output_tokens=100, cost=COST[model], escalation=escalation,
                             finish_reason="stop")
        row["model"] = row["response_model"] = model  # served name = canonical name, so repricing finds it
        row["task_source"] = "call_attribute"  # as the assembler records it, so rollups can be rebuilt

    def run(self, week: datetime, n: int, task: str, model: str, escalate_to: str | None = None,
            days: int = 5) -> None:
        """One run of ``task``: a call on ``model`` and, when escalated, an explicit retry on ``escalate_to``."""
        self.trace_no += 1
        start = week + timedelta(days=n % days, hours=9 + n % 8, minutes=n % 60)
        self._call(self.trace_no, start, model, task)
        price = COST[model]
        cost = None if price is None else Decimal(price)
        calls, escalation_cost = 1, None
        if escalate_to is not None:
            self._call(self.trace_no, start + timedelta(seconds=2), escalate_to, task, escalation="explicit")
            retry = COST[escalate_to]
            assert cost is not None and retry is not None
            cost = cost + Decimal(retry)
            calls, escalation_cost = 2, cost
        self.seed.run(trace_no=self.trace_no, start=start, task=task, calls=calls, cost=cost,
                      unpriced_calls=int(cost is None), first_model=model,
                      final_model=escalate_to or model, escalation="explicit" if escalate_to else None,
                      escalated_from=model if escalate_to else None, escalated_to=escalate_to,
                      escalation_cost=escalation_cost)


def seed_fortnight(engine: Engine) -> None:
    store_prices(engine)
    f = Fortnight(engine)
    for n in range(10):
        f.run(W46, n, "classify", "gpt-4o")
    for n in range(20):
        f.run(W46, n, "summarize", "gpt-4o-mini", escalate_to="gpt-4o" if n < 2 else None)
    for n in range(5):
        f.run(W46, n, "legacy", "claude-sonnet")
    for n in range(20):
        f.run(W47, n, "classify", "gpt-4o" if n < 8 else "gpt-4o-mini")
    for n in range(20):
        f.run(W47, n, "summarize", "gpt-4o-mini", escalate_to="gpt-4o" if n < 6 else None)
    for n in range(10):
        f.run(W47, n, "extract", "claude-haiku", days=3)
    for n in range(4):
        f.run(W47, n, "mystery", "acme-llm")
    f.seed.commit()
