"""Rates (USD per million tokens) and the per-call cost formula, in ``Decimal``.

A ``Rate`` is the price in force for one provider + model over one period, with any size
thresholds kept: a component may cost more when the call's prompt (all input tokens, cached
included) exceeds a threshold, and then the higher price applies to *all* of that component's
tokens, as providers bill it. Cost is therefore always computed per call, never cached.

Cost of one call (token counts OTel-style: input includes cache reads and writes, output
includes reasoning)::

    (input - cache_read - cache_write) x input price
    + cache_read x cache-read price  + cache_write x cache-write price
    + (output - reasoning) x output price + reasoning x reasoning price

A component without its own price is billed at its parent's price (cache reads and writes at the
input price, reasoning at the output price). Unknown counts follow ``cost_of``'s rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

PER_MILLION = Decimal(1_000_000)
COST_QUANTUM = Decimal("1e-10")  # llm_calls.cost_usd is NUMERIC(20, 10)


@dataclass(frozen=True, slots=True)
class TieredPrice:
    """A price per million tokens, with optional higher prices above prompt-size thresholds.

    ``tiers`` holds ``(threshold, price)`` pairs in ascending threshold order; a tier applies when
    the call's input tokens are strictly greater than its threshold.
    """

    base: Decimal
    tiers: tuple[tuple[int, Decimal], ...] = ()

    def at(self, prompt_tokens: int) -> Decimal:
        price = self.base
        for threshold, tier_price in self.tiers:
            if prompt_tokens > threshold:
                price = tier_price
        return price

    def __str__(self) -> str:
        text = _money(self.base)
        for threshold, price in self.tiers:
            text += f" (>{threshold:,} in: {_money(price)})"
        return text


@dataclass(frozen=True, slots=True)
class Rate:
    """The price in force for a provider + model: where it came from and what it charges."""

    input: TieredPrice
    output: TieredPrice
    cache_read: TieredPrice | None = None  # None: billed at the input price
    cache_write: TieredPrice | None = None  # None: billed at the input price
    reasoning: TieredPrice | None = None  # None: billed at the output price
    source: str = ""  # "override:12" or "genai-prices 0.2.3"
    price_id: int | None = None  # model_prices.id when an override
    canonical_model: str | None = None
    valid_from: datetime | None = None  # None: since always
    valid_until: datetime | None = None  # None: until further notice
    note: str | None = None  # e.g. price components modelmix cannot bill from token counts

    @property
    def is_tiered(self) -> bool:
        return any(p is not None and p.tiers for p in self._components())

    def _components(self) -> tuple[TieredPrice | None, ...]:
        return (self.input, self.output, self.cache_read, self.cache_write, self.reasoning)

    def blended(self) -> Decimal:
        """Base prices blended 3 parts input to 1 part output, USD per million tokens."""
        return (3 * self.input.base + self.output.base) / 4


def cost_of(
    rate: Rate,
    *,
    input_tokens: int | None,
    cache_read_tokens: int | None,
    cache_write_tokens: int | None,
    output_tokens: int | None,
    reasoning_tokens: int | None,
    prompt_tokens: int | None = None,
) -> Decimal | None:
    """Cost of one call in USD, or ``None`` when it cannot be known.

    Size thresholds are judged on ``prompt_tokens`` when given, else on ``input_tokens``; pass it
    when the counts are a sum over several calls of one size band, so the sum does not cross a
    threshold that no single call crossed.

    Rule for unknown (``None``) counts: input and output must be known, else the cost is unknown.
    With input known, an unknown cache-read or cache-write count is taken as no cache traffic
    (those tokens are billed at the input price); with output known, unknown reasoning is billed
    at the output price. Counts that contradict each other (negative, or parts larger than their
    total) give ``None`` rather than a made-up number.
    """
    if input_tokens is None or output_tokens is None:
        return None
    cache_read = cache_read_tokens or 0
    cache_write = cache_write_tokens or 0
    reasoning = reasoning_tokens or 0
    if min(input_tokens, output_tokens, cache_read, cache_write, reasoning) < 0:
        return None
    uncached = input_tokens - cache_read - cache_write
    visible_output = output_tokens - reasoning
    if uncached < 0 or visible_output < 0:
        return None
    prompt = input_tokens if prompt_tokens is None else prompt_tokens
    input_price = rate.input.at(prompt)
    output_price = rate.output.at(prompt)
    total = uncached * input_price + visible_output * output_price
    if cache_read:
        total += cache_read * (rate.cache_read.at(prompt) if rate.cache_read else input_price)
    if cache_write:
        total += cache_write * (rate.cache_write.at(prompt) if rate.cache_write else input_price)
    if reasoning:
        total += reasoning * (rate.reasoning.at(prompt) if rate.reasoning else output_price)
    return (total / PER_MILLION).quantize(COST_QUANTUM)


def _money(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "$" + text
