"""Cost per task: run-cost distributions from ``task_runs``, and drill-down to runs and their calls.

A task run is one (trace, task) pair (see DESIGN.md). A run's ``cost_usd`` is NULL when any of its
calls is unpriced; distributions (mean, p50, p95 — continuous percentiles, linearly interpolated)
are over runs with a known cost and say how many runs were left out (``unpriced_runs``).
``priced_spend_usd`` sums the priced calls of every run, so it is the known part of the spend.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, and_, func, select

from modelmix.analytics.convert import frame, money_float, ratio
from modelmix.analytics.facts import BUCKETS, Bucket
from modelmix.analytics.filters import FilterError, Filters
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


def _distribution_columns() -> list[ColumnElement[Any]]:
    cost = runs_table.c.cost_usd
    return [
        func.avg(cost).label("cost_per_run_mean"),
        func.percentile_cont(0.5).within_group(cost).label("cost_per_run_p50"),
        func.percentile_cont(0.95).within_group(cost).label("cost_per_run_p95"),
        func.sum(cost).label("spend_usd"),
    ]


def task_costs(engine: Engine, filters: Filters) -> pd.DataFrame:
    """One row per task, largest known spend first. Columns: ``TASK_COST_COLUMNS``.

    ``spend_usd`` sums runs whose cost is fully known; ``priced_spend_usd`` sums every priced call
    (so it also counts the priced part of partly-priced runs). Money columns are floats (NaN = unknown).
    """
    r = runs_table.c
    stmt = (
        select(
            r.task,
            func.count().label("runs"),
            func.sum(r.calls).label("calls"),
            func.sum(r.errors).label("errors"),
            func.count(r.cost_usd).label("priced_runs"),
            *_distribution_columns(),
            func.sum(r.priced_cost_usd).label("priced_spend_usd"),
            func.count().filter(r.escalated).label("escalated_runs"),
        )
        .where(and_(*run_conditions(filters)))
        .group_by(r.task)
    )
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(stmt)]
    known_total = sum(float(row["priced_spend_usd"] or 0) for row in rows)
    out = []
    for row in rows:
        runs = int(row["runs"])
        out.append({
            "task": row["task"], "runs": runs, "calls": int(row["calls"]),
            "calls_per_run": ratio(int(row["calls"]), runs), "errors": int(row["errors"]),
            "priced_runs": int(row["priced_runs"]), "unpriced_runs": runs - int(row["priced_runs"]),
            "cost_per_run_mean": money_float(row["cost_per_run_mean"]),
            "cost_per_run_p50": _float(row["cost_per_run_p50"]),
            "cost_per_run_p95": _float(row["cost_per_run_p95"]),
            "spend_usd": money_float(row["spend_usd"]),
            "priced_spend_usd": money_float(row["priced_spend_usd"]),
            "escalated_runs": int(row["escalated_runs"]),
            "escalation_rate": ratio(int(row["escalated_runs"]), runs),
            "share_spend": ratio(row["priced_spend_usd"], known_total),
        })
    out.sort(key=lambda x: (-(0.0 if pd.isna(x["priced_spend_usd"]) else x["priced_spend_usd"]), x["task"]))
    return frame(out, TASK_COST_COLUMNS)


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def task_cost_trend(engine: Engine, filters: Filters, bucket: Bucket = "day") -> pd.DataFrame:
    """Per bucket and task: ``TREND_COLUMNS`` (distributions over runs with a known cost)."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, got {bucket!r}")
    r = runs_table.c
    bucket_col = func.date_trunc(bucket, r.start_time, "UTC")
    stmt = (
        select(bucket_col.label("bucket"), r.task, func.count().label("runs"), *_distribution_columns())
        .where(and_(*run_conditions(filters)))
        .group_by(bucket_col, r.task)
        .order_by(bucket_col, r.task)
    )
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(stmt)]
    for row in rows:
        for name in ("cost_per_run_mean", "cost_per_run_p50", "cost_per_run_p95", "spend_usd"):
            row[name] = _float(row[name])
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
