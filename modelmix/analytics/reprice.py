"""Re-price selected calls at another model's price: the arithmetic under what-if and candidates.

A ``Move`` selects the LLM calls of (task, from_model) — any task when ``task`` is None — in the
window. The calls are summed per provider, *size band* (how many of the target price's prompt-size
thresholds the call's input exceeds) and *epoch* (a run of hours over which the target rates stay
the same), so that a size-tiered price (e.g. a higher rate above 200k prompt tokens) is applied per
call while the database returns only a few aggregate rows. Each group is priced with the target
model's rate in force at the start of its hours; prices that change inside an hour are applied
from the next hour. A group's summed tokens are judged against size thresholds by its band.

When every threshold of the targets' prices is one of the fixed boundaries of
``call_reprice_rollups_hourly`` (all thresholds of the bundled prices are), the whole hours of the
window are read from that rollup and only the partial hours at its edges from ``llm_calls``;
otherwise every call is read from ``llm_calls``. The rollup holds assembled calls only, as
``call_rollups_hourly`` does.

Calls with no actual cost are *unpriced* and left out of both sides. Calls with an actual cost
that the target model cannot price are *unpriceable* and keep their actual cost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    DateTime,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)

from modelmix.analytics.facts import dimension_conditions, raw_conditions, raw_dimension, split_window
from modelmix.analytics.filters import Filters
from modelmix.analytics.protocols import PriceLookup
from modelmix.analytics.tables import llm_calls, reprice_rollups
from modelmix.assembly.reprice_rollups import SIZE_BOUNDARIES


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


def _rule(task: ColumnElement[Any], model: ColumnElement[Any], moves: Sequence[Move]) -> ColumnElement[Any]:
    """The index of the first move matching (task, model), else NULL."""
    whens: list[tuple[ColumnElement[bool], int]] = []
    for index, move in enumerate(moves):
        cond = model == move.from_model
        whens.append(((and_(task == move.task, cond) if move.task is not None else cond), index))
    return case(*whens, else_=None)


def _epoch(hour: ColumnElement[Any], boundaries: Sequence[datetime] | None) -> ColumnElement[Any]:
    """How many of the (ascending) epoch boundaries lie at or before ``hour``; the hour itself
    when ``boundaries`` is None (one epoch per hour)."""
    if boundaries is None:
        return hour
    if not boundaries:
        return literal(0)
    return func.width_bucket(hour, literal(list(boundaries), ARRAY(DateTime(timezone=True))))


def _raw_part(filters: Filters, moves: Sequence[Move], thresholds: Sequence[int], first_attempts_only: bool,
              ranges: Sequence[tuple[datetime, datetime]] | None, boundaries: Sequence[datetime] | None) -> Select[Any]:
    """LLM calls of ``llm_calls`` (within ``ranges`` when given) summed per (rule, epoch, provider, band)."""
    c = llm_calls.c
    band: ColumnElement[Any] = literal(0)
    for threshold in thresholds:
        band = band + case((c.input_tokens > threshold, 1), else_=0)
    conds = [*raw_conditions(filters, "llm")]
    if ranges is not None:
        conds.append(or_(*(and_(c.start_time >= a, c.start_time < b) for a, b in ranges)))
    if first_attempts_only:
        conds.append(c.escalation.is_(None))
    rule = _rule(raw_dimension("task"), raw_dimension("canonical_model"), moves)
    inner = (
        select(rule.label("rule"), _epoch(func.date_trunc("hour", c.start_time, "UTC"), boundaries).label("epoch"),
               raw_dimension("provider").label("provider"), band.label("band"), c.cost_usd, c.input_tokens,
               c.cache_read_tokens, c.cache_write_tokens, c.output_tokens, c.reasoning_tokens,
               and_(c.cost_usd.is_not(None), c.input_tokens.is_not(None),
                    c.output_tokens.is_not(None)).label("priceable"))
        .where(and_(*conds))
        .subquery("selected")
    )
    s = inner.c
    ok = s.priceable
    return (
        select(
            s.rule, s.epoch, s.provider, s.band,
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
        .group_by(s.rule, s.epoch, s.provider, s.band)
    )


def _rollup_part(filters: Filters, moves: Sequence[Move], thresholds: Sequence[int], first_attempts_only: bool,
                 span: tuple[datetime, datetime], boundaries: Sequence[datetime] | None) -> Select[Any]:
    """Rollup rows of the whole hours in ``span`` summed per (rule, epoch, provider, target band).

    The target band of a rollup row counts the target thresholds among the fixed boundaries its
    ``size_band`` exceeds (every target threshold is one of them)."""
    r = reprice_rollups.c
    band: ColumnElement[Any] = literal(0)
    for threshold in thresholds:
        band = band + case((r.size_band > SIZE_BOUNDARIES.index(threshold), 1), else_=0)
    conds: list[ColumnElement[bool]] = [r.hour >= span[0], r.hour < span[1],
                                        r.canonical_model.in_(sorted({m.from_model for m in moves})),
                                        *dimension_conditions(filters, lambda name: r[name])]
    if first_attempts_only:
        conds.append(r.first_attempt)
    inner = (
        select(_rule(r.task, r.canonical_model, moves).label("rule"), _epoch(r.hour, boundaries).label("epoch"),
               r.provider, band.label("band"),
               r.priceable_calls, r.priceable_cost_usd, r.input_tokens, r.cache_read_tokens, r.cache_write_tokens,
               r.output_tokens, r.reasoning_tokens, r.unpriced_calls, r.no_token_calls, r.no_token_cost_usd)
        .where(and_(*conds))
        .subquery("banded")
    )
    s = inner.c
    return (
        select(
            s.rule, s.epoch, s.provider, s.band,
            func.sum(s.priceable_calls).label("calls"),
            func.sum(s.priceable_cost_usd).label("actual"),
            func.sum(s.input_tokens).label("input_tokens"),
            func.sum(s.cache_read_tokens).label("cache_read_tokens"),
            func.sum(s.cache_write_tokens).label("cache_write_tokens"),
            func.sum(s.output_tokens).label("output_tokens"),
            func.sum(s.reasoning_tokens).label("reasoning_tokens"),
            func.sum(s.unpriced_calls).label("unpriced"),
            func.sum(s.no_token_calls).label("no_tokens"),
            func.sum(s.no_token_cost_usd).label("no_tokens_cost"),
        )
        .where(s.rule.is_not(None))
        .group_by(s.rule, s.epoch, s.provider, s.band)
    )


def _grouped(filters: Filters, moves: Sequence[Move], thresholds: Sequence[int], first_attempts_only: bool,
             boundaries: Sequence[datetime] | None) -> Select[Any]:
    """Per (rule, epoch, provider, band) sums: from the rollup for whole hours and raw rows for the
    ragged edges when every threshold is a rollup boundary, else from raw rows alone."""
    if not set(thresholds) <= set(SIZE_BOUNDARIES):
        return _raw_part(filters, moves, thresholds, first_attempts_only, None, boundaries)
    split = split_window(filters.since, filters.until)
    parts: list[Select[Any]] = []
    if split.rollup_range is not None:
        parts.append(_rollup_part(filters, moves, thresholds, first_attempts_only, split.rollup_range, boundaries))
    if split.raw_ranges:
        parts.append(_raw_part(filters, moves, thresholds, first_attempts_only, split.raw_ranges, boundaries))
    if len(parts) == 1:
        return parts[0]
    # An epoch may span rollup hours and raw edge hours: the two parts are summed per group.
    both = union_all(*parts).subquery("parts")
    p = both.c
    return (
        select(p.rule, p.epoch, p.provider, p.band, *[func.sum(p[name]).label(name) for name in _MEASURES])
        .group_by(p.rule, p.epoch, p.provider, p.band)
    )


_MEASURES = ("calls", "actual", "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
             "reasoning_tokens", "unpriced", "no_tokens", "no_tokens_cost")


_MAX_EPOCH_HOURS = 24 * 800  # longer windows are grouped per hour instead of walking every hour's rates


def _window_hours(filters: Filters) -> list[datetime] | None:
    """The start of every hour that overlaps the window; None when there are too many to walk."""
    hour = filters.since.replace(minute=0, second=0, microsecond=0)
    if filters.until - hour > timedelta(hours=_MAX_EPOCH_HOURS):
        return None
    hours: list[datetime] = []
    while hour < filters.until:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def _rate_changes(pricebook: PriceLookup, provider: str | None, model: str, hours: Sequence[datetime]) -> set[datetime]:
    """The hours (after the first) whose rate for (provider, model) differs from the hour before."""
    changes: set[datetime] = set()
    previous = _target_rate(pricebook, provider, model, hours[0])
    for hour in hours[1:]:
        rate = _target_rate(pricebook, provider, model, hour)
        if rate is not previous and rate != previous:
            changes.add(hour)
        previous = rate
    return changes


def _band_prompt(thresholds: Sequence[int], band: int) -> int:
    """A prompt size inside ``band``: decides the tier of a sum of calls that all lie in the band."""
    return 0 if band == 0 else thresholds[band - 1] + 1


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
    thresholds = _thresholds(pricebook, moves, filters)
    hours = _window_hours(filters)
    if hours is None:  # a window too long to walk hour by hour: one epoch per hour with data
        rows = conn.execute(_grouped(filters, moves, thresholds, first_attempts_only, None)).all()
        return _priced(rows, moves, thresholds, pricebook, lambda epoch: epoch)
    # Rows are summed per *epoch*: a run of hours over which every target rate involved is the same,
    # so a price change (or a time-of-day price) still applies from the hour it is in force. The
    # epochs start from the rates of provider-less lookups; a provider found in the rows whose rates
    # change elsewhere refines them, and the query runs again.
    checked: set[tuple[str | None, str]] = set()
    boundaries: set[datetime] = set()
    for to_model in {m.to_model for m in moves}:
        checked.add((None, to_model))
        boundaries |= _rate_changes(pricebook, None, to_model, hours)
    while True:
        ordered = sorted(boundaries)
        rows = conn.execute(_grouped(filters, moves, thresholds, first_attempts_only, ordered)).all()
        found = {(row.provider or None, moves[int(row.rule)].to_model) for row in rows} - checked
        more: set[datetime] = set()
        for provider, to_model in found:
            more |= _rate_changes(pricebook, provider, to_model, hours)
        checked |= found
        if more <= boundaries:
            break
        boundaries |= more
    starts = [hours[0], *ordered]
    return _priced(rows, moves, thresholds, pricebook, lambda epoch: starts[int(epoch)])


def _priced(rows: Sequence[Any], moves: Sequence[Move], thresholds: Sequence[int], pricebook: PriceLookup,
            start_of: Callable[[Any], datetime]) -> list[Repriced]:
    """Sum the grouped rows per move, pricing each group at its target rate at ``start_of(epoch)``."""
    totals = [_Totals() for _ in moves]
    for row in rows:
        acc = totals[int(row.rule)]
        acc.unpriced += int(row.unpriced)
        no_tokens_cost = Decimal(row.no_tokens_cost or 0)
        acc.calls += int(row.calls or 0) + int(row.no_tokens)
        acc.actual += Decimal(row.actual or 0) + no_tokens_cost
        acc.unpriceable += int(row.no_tokens)
        acc.unpriceable_cost += no_tokens_cost
        acc.target += no_tokens_cost
        if not row.calls:
            continue
        actual = Decimal(row.actual)
        rate = _target_rate(pricebook, row.provider, moves[int(row.rule)].to_model, start_of(row.epoch))
        cost = None if rate is None else _group_cost(
            pricebook, rate, _band_prompt(thresholds, int(row.band)), input_tokens=int(row.input_tokens),
            cache_read_tokens=int(row.cache_read_tokens), cache_write_tokens=int(row.cache_write_tokens),
            output_tokens=int(row.output_tokens), reasoning_tokens=int(row.reasoning_tokens))
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


def _group_cost(pricebook: PriceLookup, rate: Any, prompt: int, **tokens: int) -> Decimal | None:
    """Cost of a group's summed tokens at ``rate``. A size-tiered rate is judged on ``prompt`` (a
    size inside the group's band), not on the summed input, which may cross a threshold no call did."""
    if getattr(rate, "is_tiered", False):
        banded: Any = pricebook  # PriceBook.cost takes prompt_tokens; the protocol names the common part
        return banded.cost(rate, prompt_tokens=prompt, **tokens)
    return pricebook.cost(rate, **tokens)
