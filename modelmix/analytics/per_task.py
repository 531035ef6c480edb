"""Cost per task: run-cost distributions from the run rollups, and drill-down to runs and their calls.

A task run is one (trace, task) pair (see DESIGN.md). A run's ``cost_usd`` is NULL when any of its
calls is unpriced; distributions (mean, p50, p95 — continuous percentiles, linearly interpolated)
are over runs with a known cost and say how many runs were left out (``unpriced_runs``); p50 and
p95 are exact for windows of up to 50,000 priced runs and within about 2.2% above that
(``modelmix.analytics.run_facts``).
``priced_spend_usd`` sums the priced calls of every run, so it is the known part of the spend.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, select

from modelmix.analytics.convert import frame, money_float, ratio
from modelmix.analytics.facts import BUCKETS, Bucket
from modelmix.analytics.filters import FilterError, Filters
from modelmix.analytics.run_facts import run_cost_percentiles, run_totals
from modelmix.analytics.runs import run_conditions
from modelmix.analytics.tables import llm_calls
from modelmix.analytics.tables import task_runs as runs_table

TASK_COST_COLUMNS = [
    "task", "runs", "calls", "calls_per_run", "errors", "priced_runs", "unpriced_runs",
    "cost_per_run_mean", "cost_per_run_p50", "cost_per_run_p95", "spend_usd", "priced_spend_usd",
    "escalated_runs", "escalation_rate", "share_spend",
]
TREND_COLUMNS = ["bucket", "task", "runs", "cost_per_run_mean", "cost_per_run_p50", "cost_per_run_p95",
                 "spend_usd"]
RUN_COLUMNS = [
    "trace_id", "task", "service", "environment", "start_time", "end_time", "calls", "errors",
    "input_tokens", "output_tokens", "cache_read_tokens", "cost_usd", "priced_cost_usd", "unpriced_calls",
    "first_model", "final_model", "escalated", "escalation", "escalated_from_model", "escalated_to_model",
    "escalation_cost_usd", "has_error", "verification",
]
RUN_CALL_COLUMNS = [
    "trace_id", "span_id", "parent_span_id", "start_time", "duration_ms", "service", "task", "call_kind",
    "operation", "provider", "request_model", "response_model", "canonical_model", "input_tokens",
    "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "cost_usd",
    "reported_cost_usd", "price_source", "status", "error_type", "finish_reason", "escalation",
    "escalated_from", "verification", "span_name",
]
MAX_RUNS_PAGE = 10_000


def _nan(pair: tuple[float | None, float | None] | None) -> tuple[float, float]:
    p50, p95 = pair or (None, None)
    return (float("nan") if p50 is None else p50), (float("nan") if p95 is None else p95)


def _mean(cost: Decimal | None, priced_runs: int) -> Decimal | None:
    return cost / priced_runs if cost is not None and priced_runs else None


def task_costs(engine: Engine, filters: Filters) -> pd.DataFrame:
    """One row per task, largest known spend first. Columns: ``TASK_COST_COLUMNS``.

    ``spend_usd`` sums runs whose cost is fully known; ``priced_spend_usd`` sums every priced call
    (so it also counts the priced part of partly-priced runs). Money columns are floats (NaN = unknown).
    p50/p95 are exact up to ``EXACT_PERCENTILE_RUNS`` priced runs in the window, else read from the
    run-cost histogram (within about 2.2%, see ``modelmix.cost_buckets``); the mean is always exact.
    """
    with engine.connect() as conn:
        groups = run_totals(conn, filters, ("task", "escalation"))
        spread = run_cost_percentiles(conn, filters, ("task",), priced_runs=sum(g["priced_runs"] for g in groups))
    by_task: dict[str, dict[str, Any]] = {}
    for g in groups:
        acc = by_task.setdefault(g["task"], {"runs": 0, "calls": 0, "errors": 0, "priced_runs": 0,
                                             "spend": None, "priced_spend": None, "escalated_runs": 0})
        for name in ("runs", "calls", "errors", "priced_runs"):
            acc[name] += g[name]
        acc["spend"] = _add(acc["spend"], g["cost_usd"])
        acc["priced_spend"] = _add(acc["priced_spend"], g["priced_cost_usd"])
        if g["escalation"]:
            acc["escalated_runs"] += g["runs"]
    known_total = sum(float(acc["priced_spend"] or 0) for acc in by_task.values())
    out = []
    for task, acc in by_task.items():
        runs = acc["runs"]
        p50, p95 = _nan(spread.get((task,)))
        out.append({
            "task": task, "runs": runs, "calls": acc["calls"],
            "calls_per_run": ratio(acc["calls"], runs), "errors": acc["errors"],
            "priced_runs": acc["priced_runs"], "unpriced_runs": runs - acc["priced_runs"],
            "cost_per_run_mean": money_float(_mean(acc["spend"], acc["priced_runs"])),
            "cost_per_run_p50": p50, "cost_per_run_p95": p95,
            "spend_usd": money_float(acc["spend"]),
            "priced_spend_usd": money_float(acc["priced_spend"]),
            "escalated_runs": acc["escalated_runs"],
            "escalation_rate": ratio(acc["escalated_runs"], runs),
            "share_spend": ratio(acc["priced_spend"], known_total),
        })
    out.sort(key=lambda x: (-(0.0 if pd.isna(x["priced_spend_usd"]) else x["priced_spend_usd"]), x["task"]))
    return frame(out, TASK_COST_COLUMNS)


def _add(total: Decimal | None, value: Decimal | None) -> Decimal | None:
    if value is None:
        return total
    return value if total is None else total + value


def task_cost_trend(engine: Engine, filters: Filters, bucket: Bucket = "day") -> pd.DataFrame:
    """Per bucket and task: ``TREND_COLUMNS`` (distributions over runs with a known cost)."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, got {bucket!r}")
    with engine.connect() as conn:
        groups = run_totals(conn, filters, ("task",), bucket=bucket)
        spread = run_cost_percentiles(conn, filters, ("task",), bucket=bucket,
                                      priced_runs=sum(g["priced_runs"] for g in groups))
    rows = []
    for g in groups:
        p50, p95 = _nan(spread.get((g["bucket"], g["task"])))
        rows.append({"bucket": g["bucket"], "task": g["task"], "runs": g["runs"],
                     "cost_per_run_mean": money_float(_mean(g["cost_usd"], g["priced_runs"])),
                     "cost_per_run_p50": p50, "cost_per_run_p95": p95,
                     "spend_usd": money_float(g["cost_usd"])})
    return frame(rows, TREND_COLUMNS)


def _page(limit: int, offset: int, cap: int) -> tuple[int, int]:
    if not 1 <= int(limit) <= cap:
        raise FilterError(f"limit must be between 1 and {cap}, got {limit!r}")
    if int(offset) < 0:
        raise FilterError(f"offset must not be negative, got {offset!r}")
    return int(limit), int(offset)


def _hex_rows(rows: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    for row in rows:
        for name in names:
            if isinstance(row.get(name), (bytes, memoryview)):
                row[name] = bytes(row[name]).hex()
        for key, value in row.items():
            if key.endswith("_usd"):
                row[key] = money_float(value)
    return rows


def task_runs(engine: Engine, filters: Filters, task: str, limit: int = 100, offset: int = 0) -> pd.DataFrame:
    """Runs of one task, newest first (columns ``RUN_COLUMNS``; ``trace_id`` as hex)."""
    limit, offset = _page(limit, offset, MAX_RUNS_PAGE)
    r = runs_table.c
    stmt = (
        select(*[r[name] for name in RUN_COLUMNS])
        .where(and_(*run_conditions(filters), r.task == task))
        .order_by(r.start_time.desc(), r.trace_id)
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(stmt)]
    return frame(_hex_rows(rows, "trace_id"), RUN_COLUMNS)


def parse_trace_id(trace_id: str | bytes) -> bytes:
    """A trace id as 16 bytes, from bytes or 32 hex digits; anything else is a ``FilterError``."""
    if isinstance(trace_id, bytes):
        raw = trace_id
    else:
        text_id = str(trace_id).strip().lower()
        if len(text_id) != 32 or any(ch not in "0123456789abcdef" for ch in text_id):
            raise FilterError(f"a trace id is 32 hex digits, got {trace_id!r}")
        raw = bytes.fromhex(text_id)
    if len(raw) != 16:
        raise FilterError(f"a trace id is 16 bytes, got {len(raw)}")
    return raw


def run_calls(engine: Engine, trace_id: str | bytes) -> pd.DataFrame:
    """Every call of one trace in start order (columns ``RUN_CALL_COLUMNS``; ids as hex; never content)."""
    c = llm_calls.c
    stmt = (
        select(*[c[name] for name in RUN_CALL_COLUMNS])
        .where(c.trace_id == parse_trace_id(trace_id))
        .order_by(c.start_time, c.span_id)
    )
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(stmt)]
    return frame(_hex_rows(rows, "trace_id", "span_id", "parent_span_id"), RUN_CALL_COLUMNS)
