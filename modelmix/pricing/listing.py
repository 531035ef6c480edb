"""What ``modelmix prices list`` shows: stored overrides, and the price in force for each model seen.

Every listed price says where it came from (``override:<id>`` or ``genai-prices <version>``) and
its validity window, so an operator can tell why a call was priced the way it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from modelmix.db.models import LlmCallRow
from modelmix.pricing.book import PriceBook
from modelmix.pricing.overrides import read_overrides
from modelmix.pricing.rates import Rate


@dataclass(frozen=True, slots=True)
class PriceListing:
    kind: str  # "override": a stored row; "in force": the price a model gets at the listed time
    provider: str | None  # override: None = any provider; in force: the reported provider
    model: str  # override: exact id or pattern; in force: the reported model name
    match_kind: str | None  # override only: exact | pattern
    rate: Rate | None  # None: unpriced
    in_force: bool  # override: valid at the listed time
    calls: int | None = None  # in force: calls seen in the window


@dataclass(frozen=True, slots=True)
class SeenModel:
    provider: str | None
    model: str
    canonical_model: str | None
    calls: int


def models_seen(engine: Engine, since: datetime, limit: int = 500) -> list[SeenModel]:
    """Distinct (provider, served model) of calls since ``since``, busiest first."""
    served = func.coalesce(LlmCallRow.model, LlmCallRow.response_model, LlmCallRow.request_model)
    query = (
        select(LlmCallRow.provider, served.label("model"), func.max(LlmCallRow.canonical_model),
               func.count().label("calls"))
        .where(LlmCallRow.start_time >= since, served.is_not(None))
        .group_by(LlmCallRow.provider, served)
        .order_by(func.count().desc(), served)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [SeenModel(p, m, c, int(n)) for p, m, c, n in conn.execute(query)]


def list_prices(engine: Engine | None, pricebook: PriceBook, at: datetime,
                models: Iterable[tuple[str | None, str, int | None]] = ()) -> list[PriceListing]:
    """Stored overrides (oldest first), then the price in force at ``at`` for each given
    (provider, model, calls) — an override or the genai-prices default, or none (unpriced)."""
    listings: list[PriceListing] = []
    if engine is not None:
        with engine.connect() as conn:
            overrides = read_overrides(conn)
        for o in overrides:
            valid = o.valid_from <= at and (o.valid_until is None or at < o.valid_until)
            listings.append(PriceListing("override", o.provider, o.model, o.match_kind,
                                         o.to_rate(None), valid))
    for provider, model, calls in models:
        rate = pricebook.rate(provider, model, at)
        listings.append(PriceListing("in force", provider, model, None, rate, rate is not None, calls))
    return listings
