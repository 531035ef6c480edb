"""How the assembler compares models: a price rank ("more expensive") and a tier per model.

``ModelRanking`` holds two callables so the assembler does not depend on how prices are kept
(both are called with non-empty model names only): ``price_rank(model)`` returns a comparable ``Decimal`` (blended USD per million tokens) or ``None``
when unknown, and ``tier_of(model)`` returns ``small`` | ``mid`` | ``frontier`` or ``None``.
Results are memoised per instance; build a new ranking to pick up changed prices.

``load_ranking(engine)`` wires the real price book and tier map (``modelmix.pricing`` and
``modelmix.tiers``). Should those be unavailable, it falls back to the operator's tier overrides in
``model_tiers`` and ranks models by tier (small < mid < frontier).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

TIER_ORDER = {"small": Decimal(1), "mid": Decimal(2), "frontier": Decimal(3)}


class ModelRanking:
    """Memoising wrapper around a price-rank and a tier callable."""

    def __init__(
        self,
        price_rank: Callable[[str], Decimal | None],
        tier_of: Callable[[str], str | None],
    ) -> None:
        self._price_rank = price_rank
        self._tier_of = tier_of
        self._ranks: dict[str, Decimal | None] = {}
        self._tiers: dict[str, str | None] = {}

    def rank(self, model: str | None) -> Decimal | None:
        if not model:
            return None
        if model not in self._ranks:
            value = self._price_rank(model)
            self._ranks[model] = Decimal(value) if value is not None else None
        return self._ranks[model]

    def tier(self, model: str | None) -> str | None:
        if not model:
            return None
        if model not in self._tiers:
            value = self._tier_of(model)
            self._tiers[model] = value if value in TIER_ORDER else None
        return self._tiers[model]


def tiers_from_overrides(engine: Engine) -> dict[str, str]:
    """The operator's tier overrides (``model_tiers``), canonical model -> tier."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT canonical_model, tier FROM model_tiers WHERE tier IS NOT NULL"))
        return {str(model): str(tier) for model, tier in rows}


def ranking_from_tiers(tiers: dict[str, str]) -> ModelRanking:
    """Rank by tier only: used when no price book is available."""
    return ModelRanking(
        price_rank=lambda model: TIER_ORDER.get(tiers.get(model, "")),
        tier_of=tiers.get,
    )


def load_ranking(engine: Engine) -> ModelRanking:
    """The ranking from the real price book and tier map, or from tier overrides as a fallback."""
    try:
        from modelmix.pricing import PriceBook
        from modelmix.tiers import TierMap
    except ImportError:
        log.warning("modelmix.pricing is not available; ranking models by tier overrides only")
        return ranking_from_tiers(tiers_from_overrides(engine))
    book = PriceBook.load(engine)
    tier_map = TierMap.load(engine, book)
    return ModelRanking(price_rank=book.reference_price, tier_of=tier_map.tier)
