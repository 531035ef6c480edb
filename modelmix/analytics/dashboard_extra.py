"""Small reads only the dashboard needs: how much data exists, every model seen, per-task escalation trend.

``data_extent`` lets the dashboard tell "nothing stored yet" (show how to send data) from "nothing in
this window" (show where the data is). ``known_models`` gives every (canonical model, tier) ever
rolled up, so charts can give each model the same color on every page and for every filter.
``mix_totals`` is the window's share per model / tier / provider in any measure, and
``escalation_trend_by_task`` is ``escalation_trend`` split per task. Same conventions as the rest of
``modelmix.analytics``: filters are bound parameters, results are typed rows or DataFrames.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Select, func, literal, select, text

from modelmix.analytics.convert import frame, money_float, ratio
from modelmix.analytics.escalations import escalation_trend
from modelmix.analytics.facts import Bucket, call_totals
from modelmix.analytics.filters import Filters
from modelmix.analytics.tables import llm_calls, rollups, task_runs

MIX_TOTAL_COLUMNS = ["calls", "value", "share", "unpriced_calls", "calls_missing_tokens"]
_MIX_DIMENSIONS = {"model": "canonical_model", "tier": "tier", "provider": "provider"}
_MIX_MEASURES = ("calls", "tokens", "cost")
TASK_TREND_COLUMNS = ["bucket", "task", "runs", "escalated_runs", "explicit_runs", "inferred_runs", "rate"]


@dataclass(frozen=True)
class DataExtent:
    """What is stored at all, whatever the filters: LLM calls and the span of their start times."""

    calls: int
    first_call: datetime | None
    last_call: datetime | None
    task_runs: int

    @property
    def empty(self) -> bool:
        return self.calls == 0


# Counting raw rows exactly costs seconds at millions of rows, and every dashboard page reads the
# extent; beyond this many rows the counts come from cheaper sources (see ``data_extent``).
EXACT_COUNT_LIMIT = 100_000


def _count_up_to(conn: Connection, stmt: Select[Any], limit: int) -> int:
    """Rows of ``stmt``, counted exactly up to ``limit + 1`` (a bounded scan)."""
    return int(conn.execute(select(func.count()).select_from(stmt.limit(limit + 1).subquery())).scalar_one())


def data_extent(engine: Engine) -> DataExtent:
    """Stored LLM calls (not embeddings), their first and last start time, and task runs.

    Counts are exact up to ``EXACT_COUNT_LIMIT``. Above it, ``calls`` is the rollups' count of LLM
    calls (every assembled call) and ``task_runs`` is PostgreSQL's row estimate, so a page load stays
    in the milliseconds at tens of millions of rows. First and last start times are always exact.
    """
    c = llm_calls.c
    limit = EXACT_COUNT_LIMIT
    with engine.connect() as conn:
        first = conn.execute(select(func.min(c.start_time)).where(c.call_kind == "llm")).scalar_one()
        last = conn.execute(select(func.max(c.start_time)).where(c.call_kind == "llm")).scalar_one()
        calls = _count_up_to(conn, select(literal(1)).where(c.call_kind == "llm"), limit)
        if calls > limit:
            rolled = conn.execute(select(func.sum(rollups.c.calls)).where(rollups.c.call_kind == "llm")).scalar()
            calls = max(calls, int(rolled or 0))
        runs = _count_up_to(conn, select(literal(1)).select_from(task_runs), limit)
        if runs > limit:
            estimate = conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'task_runs'::regclass")).scalar()
            runs = max(runs, int(estimate or 0))
    return DataExtent(calls=calls, first_call=first, last_call=last, task_runs=runs)


def known_models(engine: Engine) -> list[tuple[str, str]]:
    """Every (canonical model, tier) in the rollups of LLM calls, sorted; unknown model or tier is ''.

    A model whose tier changed over time appears once per tier it had; callers pick one."""
    r = rollups.c
    stmt = (
        select(r.canonical_model, r.tier).distinct()
        .where(r.call_kind == "llm")
        .order_by(r.canonical_model, r.tier)
    )
    with engine.connect() as conn:
        return [(str(model), str(tier)) for model, tier in conn.execute(stmt)]


def escalation_trend_by_task(engine: Engine, filters: Filters, bucket: Bucket = "day") -> pd.DataFrame:
    """Per bucket and task: runs started, escalated runs (explicit / inferred) and the rate.

    Columns ``TASK_TREND_COLUMNS``; rate = escalated runs / runs started in the bucket."""
    return escalation_trend(engine, filters, bucket, by_task=True)


def _measure(row: dict[str, Any], measure: str) -> float:
    """A group's value; tokens count input + output that are known; unknown cost is NaN, never 0."""
    if measure == "calls":
        return float(row["calls"])
    if measure == "tokens":
        return float((row["input_tokens"] or 0) + (row["output_tokens"] or 0))
    return money_float(row["cost_usd"])


def mix_totals(engine: Engine, filters: Filters, by: str = "model", measure: str = "calls") -> pd.DataFrame:
    """The window's LLM calls per model / tier / provider in one measure (calls, tokens or cost).

    Columns ``<by>, calls, value, share, unpriced_calls, calls_missing_tokens``, largest value first.
    ``share`` is of the window's known total; a group whose every call is unpriced has cost NaN and
    no cost share."""
    if by not in _MIX_DIMENSIONS:
        raise ValueError(f"by must be one of {tuple(_MIX_DIMENSIONS)}, got {by!r}")
    if measure not in _MIX_MEASURES:
        raise ValueError(f"measure must be one of {_MIX_MEASURES}, got {measure!r}")
    dimension = _MIX_DIMENSIONS[by]
    with engine.connect() as conn:
        rows = call_totals(conn, filters, (dimension,))
    values = [_measure(row, measure) for row in rows]
    total = sum(v for v in values if v == v)  # NaN != NaN: unknown cost stays out of the total
    out = [
        {by: row[dimension], "calls": int(row["calls"]), "value": value,
         "share": ratio(value, total) if value == value else None,
         "unpriced_calls": int(row["unpriced_calls"]), "calls_missing_tokens": int(row["calls_missing_tokens"])}
        for row, value in zip(rows, values, strict=True)
    ]
    out.sort(key=lambda r: (-(r["value"] if r["value"] == r["value"] else -1.0), -r["calls"], r[by]))
    return frame(out, [by, *MIX_TOTAL_COLUMNS])
