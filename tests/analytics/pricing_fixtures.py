"""Explicit prices and tiers for analytics tests: a real ``PriceBook`` with override rows, and a tier map."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from modelmix.pricing.book import PriceBook
from modelmix.pricing.overrides import PriceOverride

SINCE_2026 = datetime(2026, 1, 1, tzinfo=UTC)

# USD per million tokens: (input, output)
PRICES = {
    "gpt-4o": ("2.50", "10.00"),
    "gpt-4o-mini": ("0.15", "0.60"),
    "claude-sonnet": ("3.00", "15.00"),
    "claude-haiku": ("1.00", "5.00"),
}


def price_book() -> PriceBook:
    overrides = [
        PriceOverride(model=model, input_per_mtok=Decimal(i), output_per_mtok=Decimal(o), valid_from=SINCE_2026,
                      id=n).validated()
        for n, (model, (i, o)) in enumerate(PRICES.items(), start=1)
    ]
    return PriceBook(overrides)


class ExplicitTiers:
    """A tier map given as data (the real ``TierMap`` is built from prices and overrides)."""

    TIERS = {"gpt-4o": "frontier", "gpt-4o-mini": "small", "claude-sonnet": "frontier", "claude-haiku": "small"}
    SIBLINGS = {"gpt-4o": "gpt-4o-mini", "claude-sonnet": "claude-haiku"}

    def tier(self, model: str) -> str | None:
        return self.TIERS.get(model)

    def cheaper_sibling(self, model: str) -> str | None:
        return self.SIBLINGS.get(model)
