"""``PriceBook``: the price in force for any call, from overrides first and genai-prices second.

Resolving a (provider, model) name — routing prefixes, the genai-prices match, the canonical id,
the overrides that could apply — happens once and is cached; pricing a call is then a dict
lookup, a scan of that name's few overrides for the one valid at the call's start time, and the
Decimal arithmetic of ``rates.cost_of``. ``refresh`` swaps in newly loaded overrides atomically,
so the collector can call it from another thread while spans are being priced.

Which override wins when several are valid at the same instant: an exact match on the reported
or bare model name, then an exact match on the canonical id, then a pattern; within a level a
provider-specific row beats an any-provider row; then the latest ``valid_from``; then the
highest id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import NamedTuple

from sqlalchemy import Engine

from modelmix.pricing.defaults import DefaultMatch, DefaultPrices
from modelmix.pricing.names import ModelName, provider_id
from modelmix.pricing.overrides import MATCH_EXACT, PriceOverride, load_overrides
from modelmix.pricing.rates import Rate, cost_of
from modelmix.records import CALL_KIND_EMBEDDING, LlmCall

_MAX_CACHED_NAMES = 50_000


class PricedFields(NamedTuple):
    canonical_model: str | None
    cost_usd: Decimal | None
    price_id: int | None
    price_source: str | None


_NOTHING = PricedFields(None, None, None, None)


@dataclass(frozen=True, slots=True)
class _Resolution:
    """Everything about one (provider, model) name that does not depend on the call."""

    name: ModelName
    canonical: str
    default: DefaultMatch | None
    overrides: tuple[tuple[PriceOverride, Rate], ...]  # applicable ones, best first


@dataclass(slots=True)
class _State:
    overrides: tuple[PriceOverride, ...]
    resolved: dict[tuple[str | None, str, bool], _Resolution] = field(default_factory=dict)


class PriceBook:
    """Prices calls: overrides from ``model_prices`` win over genai-prices' bundled defaults."""

    def __init__(self, overrides: tuple[PriceOverride, ...] | list[PriceOverride] = (),
                 defaults: DefaultPrices | None = None) -> None:
        self._defaults = defaults or DefaultPrices()
        self._state = _State(tuple(overrides))

    @classmethod
    def load(cls, engine: Engine | None) -> PriceBook:
        """Overrides from ``model_prices`` (with ``None``: genai-prices defaults only)."""
        return cls(load_overrides(engine) if engine is not None else ())

    def refresh(self, engine: Engine) -> None:
        """Reload overrides; calls priced afterwards see them."""
        self._state = _State(tuple(load_overrides(engine)))

    @property
    def overrides(self) -> tuple[PriceOverride, ...]:
        return self._state.overrides

    def canonical_model(self, provider: str | None, model: str | None) -> str | None:
        """The id the model mix groups a model under (``gpt-4o-2024-08-06`` → ``gpt-4o``)."""
        if not model or not model.strip():
            return None
        return self._resolve(provider, model).canonical

    def rate(self, provider: str | None, model: str | None, at: datetime) -> Rate | None:
        """The price in force at ``at`` for this provider + model, or ``None`` (unpriced)."""
        if not model or not model.strip():
            return None
        return self._rate_at(self._resolve(provider, model), at)

    def cost(self, rate: Rate, *, input_tokens: int | None, cache_read_tokens: int | None,
             cache_write_tokens: int | None, output_tokens: int | None,
             reasoning_tokens: int | None, prompt_tokens: int | None = None) -> Decimal | None:
        """Cost of one call at ``rate``; ``None`` when token counts leave it unknown.
        ``prompt_tokens`` (default: ``input_tokens``) decides size thresholds, see ``cost_of``."""
        return cost_of(rate, input_tokens=input_tokens, cache_read_tokens=cache_read_tokens,
                       cache_write_tokens=cache_write_tokens, output_tokens=output_tokens,
                       reasoning_tokens=reasoning_tokens, prompt_tokens=prompt_tokens)

    def price(self, call: LlmCall) -> LlmCall:
        """The call with canonical model, cost and the reference to the price that produced it."""
        fields = self.price_fields(
            call.provider, call.model, call.start_time, call_kind=call.call_kind, input_tokens=call.input_tokens,
            cache_read_tokens=call.cache_read_tokens, cache_write_tokens=call.cache_write_tokens,
            output_tokens=call.output_tokens, reasoning_tokens=call.reasoning_tokens)
        return call.with_cost(canonical_model=fields.canonical_model, cost_usd=fields.cost_usd,
                              price_id=fields.price_id, price_source=fields.price_source)

    def price_fields(self, provider: str | None, model: str | None, at: datetime, *, call_kind: str,
                     input_tokens: int | None, cache_read_tokens: int | None, cache_write_tokens: int | None,
                     output_tokens: int | None, reasoning_tokens: int | None) -> PricedFields:
        """What ``price`` fills in, for callers that hold the columns rather than an ``LlmCall``.
        The price reference is set only when a cost was computed."""
        if not model or not model.strip():
            return _NOTHING
        resolution = self._resolve(provider, model)
        rate = self._rate_at(resolution, at)
        if rate is None:
            return PricedFields(resolution.canonical, None, None, None)
        if output_tokens is None and call_kind == CALL_KIND_EMBEDDING:
            output_tokens = 0  # embeddings produce no output tokens
        cost = cost_of(rate, input_tokens=input_tokens, cache_read_tokens=cache_read_tokens,
                       cache_write_tokens=cache_write_tokens, output_tokens=output_tokens,
                       reasoning_tokens=reasoning_tokens)
        if cost is None:
            return PricedFields(resolution.canonical, None, None, None)
        return PricedFields(resolution.canonical, cost, rate.price_id, rate.source)

    def reference_price(self, canonical_model: str, at: datetime | None = None) -> Decimal | None:
        """Blended USD per million tokens (3 input : 1 output, base prices) used to rank models."""
        if not canonical_model or not canonical_model.strip():
            return None
        resolution = self._resolve(None, canonical_model, any_provider=True)
        rate = self._rate_at(resolution, at or datetime.now(UTC))
        return None if rate is None else rate.blended()

    def _rate_at(self, resolution: _Resolution, at: datetime) -> Rate | None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        for override, rate in resolution.overrides:
            if override.valid_from <= at and (override.valid_until is None or at < override.valid_until):
                return rate
        if resolution.default is None:
            return None
        return self._defaults.rate(resolution.default, at)

    def _resolve(self, provider: str | None, model: str, any_provider: bool = False) -> _Resolution:
        state = self._state
        key = (provider, model, any_provider)
        found = state.resolved.get(key)
        if found is None:
            found = self._build(state.overrides, provider, model, any_provider)
            if len(state.resolved) >= _MAX_CACHED_NAMES:  # bound memory under garbage model names
                state.resolved.clear()
                self._defaults.forget_lookups()
            state.resolved[key] = found
        return found

    def _build(self, overrides: tuple[PriceOverride, ...], provider: str | None, model: str,
               any_provider: bool) -> _Resolution:
        name = ModelName.parse(model)
        default = self._defaults.match(provider, name)
        canonical = default.canonical_model if default else name.bare
        providers = {p for p in (provider and provider.strip().lower(), provider_id(provider)) if p}
        ranked: list[tuple[tuple[int, int, float, int], PriceOverride]] = []
        for override in overrides:
            specific = override.provider is not None
            if specific and not any_provider and override.provider not in providers:
                continue
            level = _match_level(override, name, canonical)
            if level is None:
                continue
            rank = (level, 0 if specific else 1, -override.valid_from.timestamp(), -(override.id or 0))
            ranked.append((rank, override))
        ranked.sort(key=lambda item: item[0])
        return _Resolution(name=name, canonical=canonical, default=default,
                           overrides=tuple((o, o.to_rate(canonical)) for _, o in ranked))


def _match_level(override: PriceOverride, name: ModelName, canonical: str) -> int | None:
    """0: exact on the reported/bare name, 1: exact on the canonical id, 2: pattern; None: no match."""
    if override.match_kind == MATCH_EXACT:
        if override.model in (name.raw, name.bare):
            return 0
        return 1 if override.model == canonical else None
    if any(fnmatchcase(candidate, override.model) for candidate in (name.raw, name.bare, canonical)):
        return 2
    return None
