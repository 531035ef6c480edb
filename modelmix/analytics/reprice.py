"""Re-price selected calls at another model's price: the arithmetic under what-if and candidates.

A ``Move`` selects the LLM calls of (task, from_model) — any task when ``task`` is None — in the
window. The calls are read from ``llm_calls`` grouped by hour, provider and *size band* (how many
of the target price's prompt-size thresholds the call's input exceeds), so that a size-tiered
price (e.g. a higher rate above 200k prompt tokens) is applied per call while the database returns
only a few aggregate rows. Each group is priced with the target model's rate in force at the start
of its hour; prices that change inside an hour are applied from the next hour.

Calls with no actual cost are *unpriced* and left out of both sides. Calls with an actual cost
that the target model cannot price are *unpriceable* and keep their actual cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, select

from modelmix.analytics.facts import raw_conditions, raw_dimension
from modelmix.analytics.filters import Filters
from modelmix.analytics.protocols import PriceLookup
from modelmix.analytics.tables import llm_calls


@dataclass(frozen=True)
class Move:
    task: str | None
    from_model: str
    to_model: str


@dataclass(frozen=True)
class Repriced:
    """The selected calls' actual cost next to their cost at the target model."""

    calls: int  # calls with an actual cost (unpriced ones are counted apart)
    actual_cost_usd: Decimal
    at_target_usd: Decimal  # unpriceable calls contribute their actual cost
    unpriceable_calls: int
    unpriceable_cost_usd: Decimal  # actual cost of the unpriceable calls
    unpriced_calls: int


@dataclass
class _Totals:
    calls: int = 0
    actual: Decimal = Decimal(0)
    target: Decimal = Decimal(0)
    unpriceable: int = 0
    unpriceable_cost: Decimal = Decimal(0)
    unpriced: int = 0


def _target_rate(pricebook: PriceLookup, provider: str | None, model: str, at: datetime) -> Any | None:
    rate = pricebook.rate(provider or None, model, at)
    return rate if rate is not None else pricebook.rate(None, model, at)


def _thresholds(pricebook: PriceLookup, moves: Sequence[Move], filters: Filters) -> list[int]:
    """Every prompt-size threshold of the targets' prices at either end of the window."""
    found: set[int] = set()
    for move in moves:
        for at in (filters.since, filters.until - timedelta(microseconds=1)):
            rate = _target_rate(pricebook, None, move.to_model, at)
            for name in ("input", "output", "cache_read", "cache_write", "reasoning"):
                component = getattr(rate, name, None)
                for threshold, _price in getattr(component, "tiers", ()) or ():
                    found.add(int(threshold))
    return sorted(found)


def reprice(
    conn: Connection,
    filters: Filters,
    moves: Sequence[Move],
    pricebook: PriceLookup,
    *,
    first_attempts_only: bool = False,
) -> list[Repriced]:
    """One ``Repriced`` per move; a call matching several moves goes to the first (first match wins)."""
    if not moves:
        return []
    c = llm_calls.c
    task, model = raw_dimension("task"), raw_dimension("canonical_model")
    whens: list[tuple[ColumnElement[bool], int]] = []
    for index, move in enumerate(moves):
        cond = model == move.from_model
        whens.append(((and_(task == move.task, cond) if move.task is not None else cond), index))
    rule = case(*whens, else_=None)
    thresholds = _thresholds(pricebook, moves, filters)
    band: ColumnElement[Any] = literal(0)
    for threshold in thresholds:
        band = band + case((c.input_tokens > threshold, 1), else_=0)
    hour = func.date_trunc("hour", c.start_time, "UTC")
    priceable = and_(c.cost_usd.is_not(None), c.input_tokens.is_not(None), c.output_tokens.is_not(None))
    conds = [*raw_conditions(filters, "llm")]
    if first_attempts_only:
        conds.append(c.escalation.is_(None))
    inner = (
        select(rule.label("rule"), hour.label("hour"), raw_dimension("provider").label("provider"),
               band.label("band"), c.cost_usd, c.input_tokens, c.cache_read_tokens, c.cache_write_tokens,
               c.output_tokens, c.reasoning_tokens, priceable.label("priceable"))
        .where(and_(*conds))
        .subquery("selected")
    )
    s = inner.c
    ok = s.priceable
    stmt = (
        select(
            s.rule, s.hour, s.provider, s.band,
            func.count().filter(ok).label("calls"),
            func.sum(s.cost_usd).filter(ok).label("actual"),
            func.sum(s.input_tokens).filter(ok).label("input_tokens"),
            func.sum(func.coalesce(s.cache_read_tokens, 0)).filter(ok).label("cache_read_tokens"),
            func.sum(func.coalesce(s.cache_write_tokens, 0)).filter(ok).label("cache_write_tokens"),
            func.sum(s.output_tokens).filter(ok).label("output_tokens"),
            func.sum(func.coalesce(s.reasoning_tokens, 0)).filter(ok).label("reasoning_tokens"),
            func.count().filter(s.cost_usd.is_(None)).label("unpriced"),
            func.count().filter(and_(s.cost_usd.is_not(None), ~ok)).label("no_tokens"),
            func.sum(s.cost_usd).filter(and_(s.cost_usd.is_not(None), ~ok)).label("no_tokens_cost"),
        )
        .where(s.rule.is_not(None))
        .group_by(s.rule, s.hour, s.provider, s.band)
    )
    totals = [_Totals() for _ in moves]
    for row in conn.execute(stmt):
        acc = totals[int(row.rule)]
        acc.unpriced += int(row.unpriced)
        no_tokens_cost = Decimal(row.no_tokens_cost or 0)
        acc.calls += int(row.calls) + int(row.no_tokens)
        acc.actual += Decimal(row.actual or 0) + no_tokens_cost
        acc.unpriceable += int(row.no_tokens)
        acc.unpriceable_cost += no_tokens_cost
        acc.target += no_tokens_cost
        if not row.calls:
            continue
        actual = Decimal(row.actual)
        rate = _target_rate(pricebook, row.provider, moves[int(row.rule)].to_model, row.hour)
        cost = None if rate is None else pricebook.cost(
            rate, input_tokens=int(row.input_tokens), cache_read_tokens=int(row.cache_read_tokens),
            cache_write_tokens=int(row.cache_write_tokens), output_tokens=int(row.output_tokens),
            reasoning_tokens=int(row.reasoning_tokens))
        if cost is None:
            acc.unpriceable += int(row.calls)
            acc.unpriceable_cost += actual
            acc.target += actual
        else:
            acc.target += cost
    return [
        Repriced(calls=a.calls, actual_cost_usd=a.actual, at_target_usd=a.target,
                 unpriceable_calls=a.unpriceable, unpriceable_cost_usd=a.unpriceable_cost,
                 unpriced_calls=a.unpriced)
        for a in totals
    ]
