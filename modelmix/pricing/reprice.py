"""Recompute stored call costs for a window after a price change, idempotently.

The window is walked one UTC day at a time (one transaction per day, so an interrupted run keeps
the days it finished and a rerun redoes the rest). Within a day rows are streamed in batches;
each batch is priced with the same ``PriceBook`` the collector uses, and only rows whose
canonical model, cost or price reference changed are written back, with one
``UPDATE … FROM unnest(…)`` per batch. Running it twice changes nothing the second time.

Every trace with a changed call is re-opened for the assembler (``trace_activity.assembled_at =
NULL``): its task runs carry the calls' costs (run cost, escalation cost), so they are rebuilt by
re-assembling those traces. Afterwards the hourly rollups of the affected hours are recomputed
through ``modelmix.assembly.rollups.recompute_hours`` when the assembler is installed.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from modelmix.pricing.book import PriceBook

log = logging.getLogger(__name__)
DAY = timedelta(days=1)
BATCH_ROWS = 5_000

_SELECT = text(
    "SELECT trace_id, span_id, start_time, provider, "
    "COALESCE(model, response_model, request_model) AS model, call_kind, "
    "input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens, "
    "canonical_model, cost_usd, price_id, price_source "
    "FROM llm_calls WHERE start_time >= :lo AND start_time < :hi"
)
_UPDATE = text(
    "UPDATE llm_calls AS c SET canonical_model = v.canonical_model, cost_usd = v.cost_usd, "
    "price_id = v.price_id, price_source = v.price_source "
    "FROM unnest(CAST(:trace_ids AS bytea[]), CAST(:span_ids AS bytea[]), "
    "CAST(:start_times AS timestamptz[]), CAST(:canonical AS text[]), CAST(:costs AS numeric[]), "
    "CAST(:price_ids AS bigint[]), CAST(:sources AS text[])) "
    "AS v(trace_id, span_id, start_time, canonical_model, cost_usd, price_id, price_source) "
    "WHERE c.trace_id = v.trace_id AND c.span_id = v.span_id AND c.start_time = v.start_time "
    "AND c.start_time >= :lo AND c.start_time < :hi"
)
_NEXT_CALL = text("SELECT min(start_time) FROM llm_calls WHERE start_time >= :lo AND start_time < :until")
_REOPEN = text(
    "UPDATE trace_activity SET assembled_at = NULL "
    "WHERE trace_id = ANY(CAST(:trace_ids AS bytea[])) AND assembled_at IS NOT NULL"
)


@dataclass(frozen=True, slots=True)
class RepriceProgress:
    day: datetime
    days_done: int
    days_total: int
    rows_seen: int
    rows_changed: int


@dataclass(frozen=True, slots=True)
class RepriceResult:
    rows_seen: int
    rows_changed: int
    unpriced: int  # rows in the window left without a cost
    days: int
    changed_from: datetime | None  # first and last changed start_time
    changed_until: datetime | None
    rollups: str  # "recomputed", "unchanged" (nothing changed) or why they were not recomputed


def reprice(engine: Engine, pricebook: PriceBook, since: datetime, until: datetime, *,
            progress: Callable[[RepriceProgress], None] | None = None,
            recompute_rollups: bool = True, batch_rows: int = BATCH_ROWS) -> RepriceResult:
    """Reprice every call with ``since <= start_time < until``; see the module docstring."""
    since, until = _utc(since), _utc(until)
    if until <= since:
        raise ValueError(f"until ({until.isoformat()}) must be after since ({since.isoformat()})")
    days = _days(since, until)
    seen = changed = unpriced = 0
    first: datetime | None = None
    last: datetime | None = None
    next_call: datetime | None = since
    for index, (lo, hi) in enumerate(days, start=1):
        if next_call is not None and next_call < lo:  # find the next stored call (the index answers)
            with engine.connect() as conn:
                next_call = conn.execute(_NEXT_CALL, {"lo": lo, "until": until}).scalar_one_or_none()
        if next_call is None or next_call >= hi:  # an empty day: nothing to read
            if progress is not None:
                progress(RepriceProgress(lo, index, len(days), seen, changed))
            continue
        with engine.begin() as conn:
            stats = _reprice_day(conn, pricebook, lo, hi, batch_rows)
        seen, changed, unpriced = seen + stats.seen, changed + stats.changed, unpriced + stats.unpriced
        if stats.first is not None:
            first = stats.first if first is None else min(first, stats.first)
        if stats.last is not None:
            last = stats.last if last is None else max(last, stats.last)
        if progress is not None:
            progress(RepriceProgress(lo, index, len(days), seen, changed))
    rollups = "unchanged"
    if changed and recompute_rollups and first is not None and last is not None:
        rollups = rebuild_rollups(engine, first, last)
    elif changed:
        rollups = "not recomputed (skipped on request)"
    return RepriceResult(seen, changed, unpriced, len(days), first, last, rollups)


@dataclass(slots=True)
class _DayStats:
    seen: int = 0
    changed: int = 0
    unpriced: int = 0
    first: datetime | None = None
    last: datetime | None = None


def _reprice_day(conn: Connection, book: PriceBook, lo: datetime, hi: datetime, batch_rows: int) -> _DayStats:
    stats = _DayStats()
    streamed = _SELECT.execution_options(stream_results=True, yield_per=batch_rows)
    rows = conn.execute(streamed, {"lo": lo, "hi": hi})
    for batch in rows.partitions(batch_rows):
        updates: list[tuple[Any, ...]] = []
        for row in batch:
            stats.seen += 1
            new = book.price_fields(
                row.provider, row.model, row.start_time, call_kind=row.call_kind, input_tokens=row.input_tokens,
                cache_read_tokens=row.cache_read_tokens, cache_write_tokens=row.cache_write_tokens,
                output_tokens=row.output_tokens, reasoning_tokens=row.reasoning_tokens)
            if new.cost_usd is None:
                stats.unpriced += 1
            old = (row.canonical_model, row.cost_usd, row.price_id, row.price_source)
            if new != old:
                updates.append((row.trace_id, row.span_id, row.start_time, *new))
        if updates:
            _write(conn, updates, lo, hi)
            stats.changed += len(updates)
            times = [u[2] for u in updates]
            stats.first = min([*times, stats.first] if stats.first else times)
            stats.last = max([*times, stats.last] if stats.last else times)
    return stats


def _write(conn: Connection, updates: list[tuple[Any, ...]], lo: datetime, hi: datetime) -> None:
    columns = list(zip(*updates, strict=True))
    conn.execute(_UPDATE, {
        "trace_ids": list(columns[0]), "span_ids": list(columns[1]), "start_times": list(columns[2]),
        "canonical": list(columns[3]), "costs": list(columns[4]), "price_ids": list(columns[5]),
        "sources": list(columns[6]), "lo": lo, "hi": hi,
    })
    conn.execute(_REOPEN, {"trace_ids": list(dict.fromkeys(columns[0]))})


def rebuild_rollups(engine: Engine, first: datetime, last: datetime) -> str:
    """Ask the assembler to re-assemble the re-opened traces (their runs' costs) and rebuild the
    hourly rollups of the hours from ``first`` to ``last`` (inclusive); return "recomputed" or why not."""
    try:
        rollups = importlib.import_module("modelmix.assembly.rollups")
        assembler = importlib.import_module("modelmix.assembly.assembler")
    except ImportError:
        return "not recomputed (modelmix.assembly.rollups is not installed)"
    assemble_pending = getattr(assembler, "assemble_pending", None)
    if assemble_pending is not None:
        assemble_pending(engine, settle_seconds=0)
    recompute_hours = getattr(rollups, "recompute_hours", None)
    if recompute_hours is None:
        return "not recomputed (modelmix.assembly.rollups has no recompute_hours)"
    since = first.replace(minute=0, second=0, microsecond=0)
    until = last.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    recompute_hours(engine, since, until)
    return "recomputed"


def _days(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    start = since.replace(hour=0, minute=0, second=0, microsecond=0)
    days = []
    while start < until:
        days.append((max(start, since), min(start + DAY, until)))
        start += DAY
    return days


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
