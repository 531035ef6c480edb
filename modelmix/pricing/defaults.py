"""Default prices from the installed ``genai-prices`` package, read offline.

modelmix builds its own ``DataSnapshot`` over the data bundled in the package, so nothing is ever
fetched: ``genai_prices.UpdatePrices`` (the only code in the package that touches the network) is
never started, and a snapshot another library may have installed process-wide is ignored.

A model is looked up once per (provider, model) name and its rates once per price period; the
result keeps size thresholds, so cost is still computed per call (see ``rates.cost_of``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib.metadata import version

from genai_prices import types as gp
from genai_prices.data import providers as _bundled_providers
from genai_prices.data_snapshot import DataSnapshot

from modelmix.pricing.names import ModelName, provider_id
from modelmix.pricing.rates import Rate, TieredPrice

GENAI_PRICES_VERSION = version("genai-prices")
DEFAULT_SOURCE = f"genai-prices {GENAI_PRICES_VERSION}"

_BILLED_KEYS = {"input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "output_reasoning_mtok"}
_ZERO = TieredPrice(Decimal(0))


@dataclass(frozen=True, slots=True)
class DefaultMatch:
    """The genai-prices model that prices a call, and the canonical id the call groups under."""

    canonical_model: str
    provider_id: str
    model: gp.ModelInfo


class DefaultPrices:
    """Lookups in genai-prices' bundled data; no network, no process-wide state."""

    def __init__(self) -> None:
        self._snapshot = DataSnapshot(providers=_bundled_providers, from_auto_update=False)
        self._rates: dict[tuple[int, int, str], Rate | None] = {}
        self._by_id: dict[str, tuple[gp.Provider, gp.ModelInfo]] = {}
        for provider in _bundled_providers:  # first provider listing an id wins
            for model in provider.models:
                self._by_id.setdefault(model.id, (provider, model))

    def match(self, provider: str | None, name: ModelName) -> DefaultMatch | None:
        """Find the priced model: the reported provider first, then the vendor a prefix names,
        then the provider genai-prices infers from the model name, then any model with that id."""
        pid = provider_id(provider)
        candidates: list[tuple[str | None, str]] = []
        if pid:
            candidates += [(pid, name.raw), (pid, name.bare)]
        if name.vendor:
            candidates.append((name.vendor, name.bare))
        candidates.append((None, name.bare))
        priced = next((found for found in map(self._find, candidates) if found), None)
        priced = priced or self._by_id.get(name.bare)
        if priced is None:
            return None
        first_party: list[tuple[str | None, str]] = [(name.vendor, name.bare)] if name.vendor else []
        first_party.append((None, name.bare))
        origin = next((found for found in map(self._find, first_party) if found), None)
        origin = origin or self._by_id.get(name.bare)
        canonical = (origin or priced)[1].id
        return DefaultMatch(canonical_model=canonical, provider_id=priced[0].id, model=priced[1])

    def forget_lookups(self) -> None:
        """Drop genai-prices' per-name lookup caches (they grow with every distinct name seen)."""
        self._snapshot = DataSnapshot(providers=_bundled_providers, from_auto_update=False)

    def rate(self, found: DefaultMatch, at: datetime) -> Rate | None:
        """The default rate in force at ``at`` (date-effective prices pick their period)."""
        prices = found.model.prices
        index = 0 if isinstance(prices, gp.ModelPrice) else _active_index(prices, at)
        key = (id(found.model), index, found.canonical_model)
        if key not in self._rates:
            self._rates[key] = _to_rate(found, index)
        return self._rates[key]

    def _find(self, candidate: tuple[str | None, str]) -> tuple[gp.Provider, gp.ModelInfo] | None:
        pid, ref = candidate
        try:
            return self._snapshot.find_provider_model(ref, None, pid, None)
        except LookupError:
            return None


def _active_index(prices: list[gp.ConditionalPrice], at: datetime) -> int:
    """Mirror genai-prices: the last conditional price whose constraint holds wins, else the first."""
    for index in range(len(prices) - 1, -1, -1):
        constraint = prices[index].constraint
        if constraint is None or constraint.active(at):
            return index
    return 0


def _to_rate(found: DefaultMatch, index: int) -> Rate | None:
    prices = found.model.prices
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    notes: list[str] = []
    if isinstance(prices, gp.ModelPrice):
        model_price = prices
    else:
        model_price = prices[index].prices
        constraint = prices[index].constraint
        if isinstance(constraint, gp.StartDateConstraint):
            valid_from = _midnight(constraint.start_date)
        windows = [c.constraint for c in prices if isinstance(c.constraint, gp.TimeOfDateConstraint)]
        if windows:
            notes.append("price depends on the time of day: "
                         + ", ".join(f"{w.start_time:%H:%M}-{w.end_time:%H:%M} UTC" for w in windows))
        later = [
            c.constraint.start_date
            for c in prices
            if isinstance(c.constraint, gp.StartDateConstraint)
            and (valid_from is None or _midnight(c.constraint.start_date) > valid_from)
        ]
        if later and not any(isinstance(c.constraint, gp.TimeOfDateConstraint) for c in prices):
            valid_until = _midnight(min(later))
    input_price = _tiered(model_price.input_mtok)
    output_price = _tiered(model_price.output_mtok)
    if input_price is None and output_price is None:
        return None
    unbilled = sorted(k for k, v in vars(model_price).items() if v is not None and k not in _BILLED_KEYS)
    if unbilled:
        notes.append("not billed from token counts: " + ", ".join(unbilled))
    return Rate(
        input=input_price or _ZERO,
        output=output_price or _ZERO,
        cache_read=_tiered(model_price.cache_read_mtok),
        cache_write=_tiered(model_price.cache_write_mtok),
        reasoning=_tiered(model_price.output_reasoning_mtok),
        source=DEFAULT_SOURCE,
        canonical_model=found.canonical_model,
        valid_from=valid_from,
        valid_until=valid_until,
        note="; ".join(notes) or None,
    )


def _tiered(value: object) -> TieredPrice | None:
    if value is None:
        return None
    if isinstance(value, gp.TieredPrices):
        return TieredPrice(value.base, tuple((tier.start, tier.price) for tier in value.tiers))
    if isinstance(value, Decimal):
        return TieredPrice(value)
    return None


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
