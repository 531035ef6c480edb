"""What ``modelmix prices list`` shows: stored overrides, and the price in force for each model seen.

Every listed price says where it came from (``override:<id>`` or ``genai-prices <version>``) and
its validity window, so an operator can tell why a call was priced the way it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Engine,
    Select,
    func,
    literal,
    literal_column,
    select,
    union_all,
)

from modelmix.db.models import UNASSEMBLED_PREDICATE, CallModelNameRollupRow, LlmCallRow
from modelmix.pricing.book import PriceBook
from modelmix.pricing.overrides import read_overrides
from modelmix.pricing.rates import Rate

NAME_MAX_CHARS = 200  # as modelmix.assembly.model_names stores them


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


def _ceil_hour(moment: datetime) -> datetime:
    """The first whole UTC hour at or after ``moment`` (a naive moment is read as UTC)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


def _raw_names(*conditions: ColumnElement[bool]) -> Select[Any]:
    """Raw calls as (provider, served model, canonical model, 1), keyed like the hourly table."""
    c = LlmCallRow.__table__.c
    served = func.coalesce(c.model, c.response_model, c.request_model)
    return select(
        func.left(func.coalesce(c.provider, ""), NAME_MAX_CHARS).label("provider"),
        func.left(served, NAME_MAX_CHARS).label("model"),
        func.left(func.coalesce(c.canonical_model, ""), NAME_MAX_CHARS).label("canonical_model"),
        literal(1, BigInteger).label("calls"),
    ).where(served.is_not(None), *conditions)


def models_seen(engine: Engine, since: datetime, limit: int = 500) -> list[SeenModel]:
    """Distinct (provider, served model) of calls since ``since``, busiest first.

    The served model is ``coalesce(model, response_model, request_model)``; names are cut to 200
    characters and an empty provider reads as unknown (None). Assembled calls of whole hours come
    from ``call_model_names_hourly``; the partial hour at ``since`` and the calls not assembled yet
    come from raw rows (the ``start_time`` and ``ix_llm_calls_unassembled`` indexes), all in one
    statement, so every call is counted exactly once."""
    edge = _ceil_hour(since)
    c = LlmCallRow.__table__.c
    h = CallModelNameRollupRow.__table__.c
    # the predicate is written out verbatim so the planner matches it to the partial index
    unassembled = literal_column(f"({UNASSEMBLED_PREDICATE})", Boolean)
    selects: list[Select[Any]] = [
        select(h.provider, h.model, h.canonical_model, h.calls).where(h.hour >= edge),
        _raw_names(c.start_time >= since, c.start_time < edge),
        _raw_names(c.start_time >= edge, unassembled),
    ]
    parts = union_all(*selects).subquery("parts")
    calls = func.sum(parts.c.calls)
    query = (
        select(func.nullif(parts.c.provider, ""), parts.c.model, func.max(func.nullif(parts.c.canonical_model, "")),
               calls)
        .group_by(parts.c.provider, parts.c.model)
        .order_by(calls.desc(), parts.c.model, parts.c.provider)
        .limit(int(limit))
    )
    with engine.connect() as conn:
        return [SeenModel(p, m, cm, int(n)) for p, m, cm, n in conn.execute(query)]


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
