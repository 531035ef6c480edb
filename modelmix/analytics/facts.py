"""Call totals over any window, read from the hourly rollups plus raw rows for the ragged edges.

Rollups hold whole UTC hours. A window that starts or ends inside an hour is answered from
``call_rollups_hourly`` for the whole hours it covers and from ``llm_calls`` for the partial hours
at either edge (at most two hours of raw rows, served by the ``start_time`` index), so totals are
exact for any ``[since, until)`` while long windows still cost a rollup scan. Raw edge rows get
their tier from the rollup rows of the same hour (a call that is not rolled up yet has tier ``''``).

Measures follow the rollup columns: ``cost_usd`` sums priced calls only and is NULL when no call
in the group is priced; ``unpriced_calls`` counts the rest, so unknown cost is never read as $0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
)

from modelmix.analytics.filters import Filters
from modelmix.analytics.tables import llm_calls, rollups

Bucket = Literal["hour", "day", "week"]
DIMENSIONS = ("service", "environment", "task", "call_kind", "canonical_model", "provider", "tier", "status")
MEASURES = (
    "calls", "errors", "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
    "reasoning_tokens", "calls_missing_tokens", "cost_usd", "unpriced_calls", "escalated_calls",
)
BUCKETS: tuple[str, ...] = ("hour", "day", "week")


@dataclass(frozen=True)
class Split:
    """How a window divides into whole rollup hours and raw edge ranges."""

    rollup_range: tuple[datetime, datetime] | None
    raw_ranges: tuple[tuple[datetime, datetime], ...]


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _ceil_hour(moment: datetime) -> datetime:
    floor = _floor_hour(moment)
    return floor if floor == moment else floor + timedelta(hours=1)


def split_window(since: datetime, until: datetime) -> Split:
    """Whole hours inside ``[since, until)`` go to rollups, the rest to raw rows."""
    first, last = _ceil_hour(since), _floor_hour(until)
    if first >= last:
        return Split(None, ((since, until),))
    raw = tuple(r for r in ((since, first), (last, until)) if r[0] < r[1])
    return Split((first, last), raw)


def _in(column: ColumnElement[Any], values: tuple[str, ...]) -> ColumnElement[bool]:
    return column.in_(values)


def dimension_conditions(filters: Filters, column: Callable[[str], ColumnElement[Any]]
                         ) -> list[ColumnElement[bool]]:
    """The service / environment / task filters on the columns ``column(name)`` gives (a rollup's
    own columns, or raw columns normalized as the rollups store them)."""
    conds: list[ColumnElement[bool]] = []
    if filters.services:
        conds.append(_in(column("service"), filters.services))
    if filters.environments:
        conds.append(_in(column("environment"), filters.environments))
    if filters.tasks:
        conds.append(_in(column("task"), filters.tasks))
    return conds


def rollup_conditions(filters: Filters, call_kind: str | None) -> list[ColumnElement[bool]]:
    conds = dimension_conditions(filters, lambda name: rollups.c[name])
    if call_kind is not None:
        conds.append(rollups.c.call_kind == call_kind)
    return conds


def raw_dimension(name: str) -> ColumnElement[Any]:
    """A raw-call column as the rollups store it (unknown dimension = '')."""
    column = llm_calls.c[name]
    if name in {"service", "call_kind", "status"}:
        return column
    return func.coalesce(column, literal(""))


def raw_conditions(filters: Filters, call_kind: str | None) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [
        llm_calls.c.start_time >= filters.since,
        llm_calls.c.start_time < filters.until,
    ]
    if filters.services:
        conds.append(_in(llm_calls.c.service, filters.services))
    if filters.environments:
        conds.append(_in(raw_dimension("environment"), filters.environments))
    if filters.tasks:
        conds.append(_in(raw_dimension("task"), filters.tasks))
    if call_kind is not None:
        conds.append(llm_calls.c.call_kind == call_kind)
    return conds


def _rollup_part(filters: Filters, span: tuple[datetime, datetime], dims: Sequence[str],
                 bucket: Bucket | None, call_kind: str | None) -> Select[Any]:
    r = rollups.c
    cols: list[ColumnElement[Any]] = []
    if bucket is not None:
        cols.append(func.date_trunc(bucket, r.hour, "UTC").label("bucket"))
    cols += [r[d].label(d) for d in dims]
    cols += [
        r.calls.label("calls"),
        case((r.status == "error", r.calls), else_=0).label("errors"),
        r.input_tokens.label("input_tokens"),
        r.cache_read_tokens.label("cache_read_tokens"),
        r.cache_write_tokens.label("cache_write_tokens"),
        r.output_tokens.label("output_tokens"),
        r.reasoning_tokens.label("reasoning_tokens"),
        r.calls_missing_tokens.label("calls_missing_tokens"),
        r.cost_usd.label("cost_usd"),
        r.unpriced_calls.label("unpriced_calls"),
        r.escalated_calls.label("escalated_calls"),
    ]
    conds = [r.hour >= span[0], r.hour < span[1], *rollup_conditions(filters, call_kind)]
    return select(*cols).where(and_(*conds))


def _raw_part(filters: Filters, ranges: Sequence[tuple[datetime, datetime]], dims: Sequence[str],
              bucket: Bucket | None, call_kind: str | None) -> Select[Any]:
    c = llm_calls.c
    in_ranges = or_(*(and_(c.start_time >= a, c.start_time < b) for a, b in ranges)) if ranges else false()
    hour = func.date_trunc("hour", c.start_time, "UTC")
    raw_dims = [d for d in dims if d != "tier"]
    need_tier = "tier" in dims
    group_cols: list[ColumnElement[Any]] = [raw_dimension(d).label(d) for d in raw_dims]
    if need_tier:
        group_cols += [hour.label("hour"), raw_dimension("canonical_model").label("_model"),
                       raw_dimension("provider").label("_provider")]
    bucket_col = func.date_trunc(bucket, c.start_time, "UTC").label("bucket") if bucket else None
    if bucket_col is not None:
        group_cols.insert(0, bucket_col)
    missing = or_(c.input_tokens.is_(None), c.output_tokens.is_(None))
    grouped = (
        select(
            *group_cols,
            func.count().label("calls"),
            func.count().filter(c.status == "error").label("errors"),
            func.sum(c.input_tokens).label("input_tokens"),
            func.sum(c.cache_read_tokens).label("cache_read_tokens"),
            func.sum(c.cache_write_tokens).label("cache_write_tokens"),
            func.sum(c.output_tokens).label("output_tokens"),
            func.sum(c.reasoning_tokens).label("reasoning_tokens"),
            func.count().filter(missing).label("calls_missing_tokens"),
            func.sum(c.cost_usd).label("cost_usd"),
            func.count().filter(c.cost_usd.is_(None)).label("unpriced_calls"),
            func.count().filter(c.escalation.is_not(None)).label("escalated_calls"),
        )
        .where(and_(in_ranges, *raw_conditions(filters, call_kind)))
        .group_by(*[col for col in group_cols])
        .subquery("raw")
    )
    g = grouped.c
    measures = [g[m].label(m) for m in MEASURES]
    outer_dims: list[ColumnElement[Any]] = []
    if bucket is not None:
        outer_dims.append(g.bucket.label("bucket"))
    if not need_tier:
        outer_dims += [g[d].label(d) for d in dims]
        return select(*outer_dims, *measures)
    r = rollups.c
    tier_of = (
        select(r.hour, r.canonical_model, r.provider, r.tier)
        .distinct(r.hour, r.canonical_model, r.provider)
        .where(or_(*(and_(r.hour >= _floor_hour(a), r.hour < b) for a, b in ranges)))
        .order_by(r.hour, r.canonical_model, r.provider, r.tier.desc())
        .subquery("tier_of")
    )
    t = tier_of.c
    join = grouped.outerjoin(
        tier_of, and_(t.hour == g.hour, t.canonical_model == g._model, t.provider == g._provider)
    )
    for d in dims:
        outer_dims.append(func.coalesce(t.tier, literal("")).label("tier") if d == "tier" else g[d].label(d))
    return select(*outer_dims, *measures).select_from(join)


def call_totals(
    conn: Connection,
    filters: Filters,
    dims: Sequence[str] = (),
    *,
    bucket: Bucket | None = None,
    call_kind: str | None = "llm",
) -> list[dict[str, Any]]:
    """Measures summed per ``dims`` (and per time ``bucket``) over the window; one dict per group."""
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimension(s) {unknown}; choose from {DIMENSIONS}")
    if bucket is not None and bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, got {bucket!r}")
    split = split_window(filters.since, filters.until)
    parts: list[Select[Any]] = []
    if split.rollup_range is not None:
        parts.append(_rollup_part(filters, split.rollup_range, dims, bucket, call_kind))
    if split.raw_ranges:
        parts.append(_raw_part(filters, split.raw_ranges, dims, bucket, call_kind))
    combined = union_all(*parts).subquery("parts") if len(parts) > 1 else parts[0].subquery("parts")
    p = combined.c
    keys = (["bucket"] if bucket else []) + list(dims)
    stmt = select(
        *[p[k] for k in keys],
        *[
            (func.sum(p[m]) if m in {"cost_usd"} or m.endswith("_tokens") else func.coalesce(func.sum(p[m]), 0))
            .label(m)
            for m in MEASURES
        ],
    )
    if keys:
        stmt = stmt.group_by(*[p[k] for k in keys]).order_by(*[p[k] for k in keys])
    rows = [dict(row._mapping) for row in conn.execute(stmt)]
    for row in rows:  # PostgreSQL sums bigints as numeric: counts and tokens back to int
        for name in MEASURES:
            if name != "cost_usd" and row[name] is not None:
                row[name] = int(row[name])
    return [row for row in rows if row["calls"]] if keys else rows
