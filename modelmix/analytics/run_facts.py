"""Task-run totals and run-cost histograms over any window: rollups for whole hours/days, raw edges.

Like ``facts`` for calls: ``task_run_rollups_hourly`` answers the whole UTC hours of a window and
``task_runs`` the partial hours at either edge, so counts and sums are exact for any ``[since,
until)``. Cost percentiles are exact (from ``task_runs``) while the window holds at most
``EXACT_PERCENTILE_RUNS`` priced runs; above that they come from the daily histogram
``task_run_cost_days`` for whole UTC days and from ``task_runs`` (bucketed the same way,
``modelmix.cost_buckets``) for the partial days — an hourly trend reads raw runs only (the
dashboard uses hours for windows of two days at most).

Sums come with the count of runs that had a known value; a sum over no known value is None
(unknown), never 0. A run belongs to the window its start time falls in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)

from modelmix.analytics.facts import BUCKETS, Bucket, dimension_conditions, split_window
from modelmix.analytics.filters import Filters
from modelmix.analytics.tables import run_cost_days, run_rollups, task_runs
from modelmix.cost_buckets import bucket_sql, interpolate, rank_value

RUN_DIMENSIONS = ("service", "environment", "task", "first_model", "escalation", "escalated_from_model",
                  "escalated_to_model", "verification")
HISTOGRAM_DIMENSIONS = ("service", "environment", "task")
COUNTS = ("runs", "calls", "errors", "error_runs", "priced_runs", "priced_cost_runs", "unpriced_calls",
          "escalation_cost_runs")
# money sum -> the count that says whether it is known
MONEY = {"cost_usd": "priced_runs", "priced_cost_usd": "priced_cost_runs",
         "escalation_cost_usd": "escalation_cost_runs"}
MEASURES = COUNTS + tuple(MONEY)
_DIM_MAX_CHARS = 200


def _check(dims: Sequence[str], allowed: Sequence[str], bucket: str | None) -> None:
    unknown = [d for d in dims if d not in allowed]
    if unknown:
        raise ValueError(f"unknown dimension(s) {unknown}; choose from {allowed}")
    if bucket is not None and bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, got {bucket!r}")


def raw_run_dimension(name: str) -> ColumnElement[Any]:
    """A ``task_runs`` column as the run rollups store it (unknown = '', long names cut at 200)."""
    column = task_runs.c[name]
    if name in {"escalation", "verification"}:
        return func.coalesce(column, literal(""))
    if name in {"service", "task"}:
        return func.left(column, _DIM_MAX_CHARS)
    return func.left(func.coalesce(column, literal("")), _DIM_MAX_CHARS)


def _in_ranges(column: ColumnElement[Any], ranges: Sequence[tuple[datetime, datetime]]) -> ColumnElement[bool]:
    if not ranges:
        return false()
    return or_(*(and_(column >= lo, column < hi) for lo, hi in ranges))


def _rollup_part(filters: Filters, span: tuple[datetime, datetime], dims: Sequence[str],
                 bucket: Bucket | None) -> Select[Any]:
    r = run_rollups.c
    cols: list[ColumnElement[Any]] = []
    if bucket is not None:
        cols.append(func.date_trunc(bucket, r.hour, "UTC").label("bucket"))
    cols += [r[d].label(d) for d in dims]
    cols += [r[m].label(m) for m in MEASURES]
    conds = [r.hour >= span[0], r.hour < span[1], *dimension_conditions(filters, lambda n: r[n])]
    return select(*cols).where(and_(*conds))


def _raw_part(filters: Filters, ranges: Sequence[tuple[datetime, datetime]], dims: Sequence[str],
              bucket: Bucket | None) -> Select[Any]:
    t = task_runs.c
    cols: list[ColumnElement[Any]] = []
    if bucket is not None:
        cols.append(func.date_trunc(bucket, t.start_time, "UTC").label("bucket"))
    cols += [raw_run_dimension(d).label(d) for d in dims]
    cols += [
        func.count().label("runs"), func.sum(t.calls).label("calls"), func.sum(t.errors).label("errors"),
        func.count().filter(t.has_error).label("error_runs"), func.count(t.cost_usd).label("priced_runs"),
        func.count(t.priced_cost_usd).label("priced_cost_runs"),
        func.sum(t.unpriced_calls).label("unpriced_calls"),
        func.count(t.escalation_cost_usd).label("escalation_cost_runs"),
        func.coalesce(func.sum(t.cost_usd), 0).label("cost_usd"),
        func.coalesce(func.sum(t.priced_cost_usd), 0).label("priced_cost_usd"),
        func.coalesce(func.sum(t.escalation_cost_usd), 0).label("escalation_cost_usd"),
    ]
    # only the edge ranges bound start_time, so the index reads just them (not the whole window)
    conds = [_in_ranges(t.start_time, ranges), *dimension_conditions(filters, raw_run_dimension)]
    keys = cols[: (1 if bucket else 0) + len(dims)]
    return select(*cols).where(and_(*conds)).group_by(*keys)


def run_totals(conn: Connection, filters: Filters, dims: Sequence[str] = (), *,
               bucket: Bucket | None = None) -> list[dict[str, Any]]:
    """Run measures per ``dims`` (and per time ``bucket``) over the window; one dict per group.

    Counts are ints; ``cost_usd``, ``priced_cost_usd`` and ``escalation_cost_usd`` are Decimal, or
    None when no run of the group has that value known."""
    _check(dims, RUN_DIMENSIONS, bucket)
    split = split_window(filters.since, filters.until)
    parts: list[Select[Any]] = []
    if split.rollup_range is not None:
        parts.append(_rollup_part(filters, split.rollup_range, dims, bucket))
    if split.raw_ranges:
        parts.append(_raw_part(filters, split.raw_ranges, dims, bucket))
    combined = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("parts")
    p = combined.c
    keys = (["bucket"] if bucket else []) + list(dims)
    stmt = select(*[p[k] for k in keys], *[func.coalesce(func.sum(p[m]), 0).label(m) for m in MEASURES])
    if keys:
        stmt = stmt.group_by(*[p[k] for k in keys]).order_by(*[p[k] for k in keys])
    rows = []
    for row in conn.execute(stmt):
        out = dict(row._mapping)
        for name in COUNTS:
            out[name] = int(out[name])
        for name, known in MONEY.items():
            out[name] = Decimal(out[name]) if out[known] > 0 else None
        rows.append(out)
    return [row for row in rows if row["runs"]] if keys else rows


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _split_days(since: datetime, until: datetime) -> tuple[tuple[datetime, datetime] | None,
                                                           tuple[tuple[datetime, datetime], ...]]:
    first = _day(since) if _day(since) == since else _day(since) + timedelta(days=1)
    last = _day(until)
    if first >= last:
        return None, ((since, until),)
    return (first, last), tuple(r for r in ((since, first), (last, until)) if r[0] < r[1])


def _histogram_parts(filters: Filters, dims: Sequence[str], bucket: Bucket | None) -> Any:
    """The window's histogram rows (bucket?, *dims, cost_bucket, runs): days from
    ``task_run_cost_days``, partial days from ``task_runs``; not yet summed across the two."""
    whole, raw = _split_days(filters.since, filters.until)
    if bucket == "hour" and whole is not None:  # days cannot be split into hours: read raw runs
        whole, raw = None, ((filters.since, filters.until),)
    parts: list[Select[Any]] = []
    if whole is not None:
        h = run_cost_days.c
        cols: list[ColumnElement[Any]] = []
        if bucket is not None:
            cols.append(func.date_trunc(bucket, h.day, "UTC").label("bucket"))
        cols += [h[d].label(d) for d in dims] + [h.cost_bucket.label("cost_bucket"), h.runs.label("runs")]
        parts.append(select(*cols).where(and_(h.day >= whole[0], h.day < whole[1],
                                              *dimension_conditions(filters, lambda n: h[n]))))
    for lo, hi in raw:  # one part per edge, so the start_time index reads just that edge
        t = task_runs.c
        cols = []
        if bucket is not None:
            cols.append(func.date_trunc(bucket, t.start_time, "UTC").label("bucket"))
        cols += [raw_run_dimension(d).label(d) for d in dims]
        cols += [literal_column(bucket_sql("task_runs.cost_usd")).label("cost_bucket"), func.count().label("runs")]
        conds = [t.start_time >= lo, t.start_time < hi, t.cost_usd.is_not(None),
                 *dimension_conditions(filters, raw_run_dimension)]
        parts.append(select(*cols).where(and_(*conds)).group_by(*cols[:-1]))
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("parts")


def run_cost_histograms(conn: Connection, filters: Filters, dims: Sequence[str] = ("task",), *,
                        bucket: Bucket | None = None) -> dict[tuple[Any, ...], dict[int, int]]:
    """``{(bucket?, *dims): {cost bucket: priced runs}}`` over the window (see ``modelmix.cost_buckets``)."""
    _check(dims, HISTOGRAM_DIMENSIONS, bucket)
    p = _histogram_parts(filters, dims, bucket).c
    keys = (["bucket"] if bucket else []) + list(dims)
    stmt = (select(*[p[k] for k in keys], p.cost_bucket, func.sum(p.runs).label("runs"))
            .group_by(*[p[k] for k in keys], p.cost_bucket))
    out: dict[tuple[Any, ...], dict[int, int]] = {}
    for row in conn.execute(stmt):
        key = tuple(row._mapping[k] for k in keys)
        out.setdefault(key, {})[int(row.cost_bucket)] = int(row.runs)
    return out


def _histogram_percentiles(conn: Connection, filters: Filters, dims: Sequence[str], bucket: Bucket | None,
                           quantiles: Sequence[float]) -> dict[tuple[Any, ...], list[float]]:
    """Percentiles from the histogram; PostgreSQL returns only the buckets holding the runs that the
    quantiles interpolate between (a cumulative count per group), not whole histograms."""
    p = _histogram_parts(filters, dims, bucket).c
    keys = (["bucket"] if bucket else []) + list(dims)
    summed = (select(*[p[k].label(k) for k in keys], p.cost_bucket, func.sum(p.runs).label("n"))
              .group_by(*[p[k] for k in keys], p.cost_bucket).subquery("summed"))
    h = summed.c
    group = [h[k] for k in keys]
    cumulative = (select(*group, h.cost_bucket, h.n,
                         (func.sum(h.n).over(partition_by=group, order_by=h.cost_bucket) - h.n).label("before"),
                         func.sum(h.n).over(partition_by=group).label("total"))
                  .subquery("cumulative"))
    c = cumulative.c
    wanted = []
    for q in quantiles:
        low = func.floor(q * (c.total - 1))
        for rank in (low, low + 1):
            wanted.append(and_(c.before <= rank, rank < c.before + c.n))
    found: dict[tuple[Any, ...], tuple[int, list[tuple[int, int, int]]]] = {}
    for row in conn.execute(select(cumulative).where(or_(*wanted))):
        m = row._mapping
        key = tuple(m[k] for k in keys)
        total, spans = found.setdefault(key, (int(m["total"]), []))
        spans.append((int(m["before"]), int(m["n"]), int(m["cost_bucket"])))
    out: dict[tuple[Any, ...], list[float]] = {}
    for key, (total, spans) in found.items():
        def nth(index: int, spans: list[tuple[int, int, int]] = spans) -> float:
            for before, n, cost_bucket in spans:
                if before <= index < before + n:
                    return rank_value(cost_bucket, index - before, n)
            raise LookupError(f"rank {index} was not fetched")

        out[key] = [interpolate(q, total, nth) for q in quantiles]
    return out


EXACT_PERCENTILE_RUNS = 50_000  # up to this many priced runs in the window, percentiles are exact
Quantiles = tuple[float | None, float | None]


def _exact_cost_percentiles(conn: Connection, filters: Filters, dims: Sequence[str],
                            bucket: Bucket | None) -> dict[tuple[Any, ...], Quantiles]:
    t = task_runs.c
    keys: list[ColumnElement[Any]] = []
    if bucket is not None:
        keys.append(func.date_trunc(bucket, t.start_time, "UTC").label("bucket"))
    keys += [raw_run_dimension(d).label(d) for d in dims]
    stmt = (
        select(*keys, func.percentile_cont(0.5).within_group(t.cost_usd).label("p50"),
               func.percentile_cont(0.95).within_group(t.cost_usd).label("p95"))
        .where(and_(t.start_time >= filters.since, t.start_time < filters.until, t.cost_usd.is_not(None),
                    *dimension_conditions(filters, raw_run_dimension)))
        .group_by(*keys)
    )
    out: dict[tuple[Any, ...], Quantiles] = {}
    for row in conn.execute(stmt):
        values = tuple(row)
        out[values[:-2]] = (float(values[-2]), float(values[-1]))
    return out


def run_cost_percentiles(conn: Connection, filters: Filters, dims: Sequence[str] = ("task",), *,
                         bucket: Bucket | None = None, priced_runs: int,
                         exact_limit: int = EXACT_PERCENTILE_RUNS) -> dict[tuple[Any, ...], Quantiles]:
    """``{(bucket?, *dims): (p50, p95)}`` of priced runs' cost (continuous percentiles).

    ``priced_runs`` is how many priced runs the window holds (from ``run_totals``): up to
    ``exact_limit`` the percentiles are computed exactly from ``task_runs``; above it they are read
    from the run-cost histogram, within about 2.2% of the exact value (``modelmix.cost_buckets``)."""
    _check(dims, HISTOGRAM_DIMENSIONS, bucket)
    if priced_runs <= exact_limit:
        return _exact_cost_percentiles(conn, filters, dims, bucket)
    return {key: (p50, p95) for key, (p50, p95)
            in _histogram_percentiles(conn, filters, dims, bucket, (0.5, 0.95)).items()}
