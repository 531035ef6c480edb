"""What analytics needs from pricing and tiers, as structural types.

The queries accept a price book and a tier map as parameters (so tests and the weekly review can
pass explicit ones); these protocols name exactly the methods used. ``modelmix.pricing.PriceBook``
and ``modelmix.tiers.TierMap`` satisfy them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol


class PriceLookup(Protocol):
    def rate(self, provider: str | None, model: str | None, at: datetime) -> Any | None:
        """The price in force for ``model`` at ``at``, or None when the model is unpriced."""
        ...

    def cost(
        self,
        rate: Any,
        *,
        input_tokens: int | None,
        cache_read_tokens: int | None,
        cache_write_tokens: int | None,
        output_tokens: int | None,
        reasoning_tokens: int | None,
    ) -> Decimal | None:
        """Cost of one call's tokens at ``rate``; None when a needed count is unknown."""
        ...

    def reference_price(self, canonical_model: str) -> Decimal | None:
        """A comparable price for ranking models (None when unknown)."""
        ...


class TierLookup(Protocol):
    def tier(self, model: str) -> str | None:
        """small | mid | frontier, or None when unknown."""
        ...

    def cheaper_sibling(self, model: str) -> str | None:
        """The next cheaper model of the same family, or None."""
        ...
