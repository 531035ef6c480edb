"""Cost per task: run-cost distributions from ``task_runs``, and drill-down to runs and their calls.

A task run is one (trace, task) pair (see DESIGN.md). A run's ``cost_usd`` is NULL when any of its
calls is unpriced; distributions (mean, p50, p95) are over runs with a known cost and say how
many runs were left out (``unpriced_runs``). ``priced_spend_usd`` sums what is known.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from modelmix.analytics.facts import Bucket
from modelmix.analytics.filters import Filters

TASK_COST_COLUMNS = [
    "task", "runs", "calls", "calls_per_run", "errors", "priced_runs", "unpriced_runs",
    "cost_per_run_mean", "cost_per_run_p50", "cost_per_run_p95", "spend_usd", "priced_spend_usd",
    "escalated_runs", "escalation_rate", "share_spend",
]


def task_costs(engine: Engine, filters: Filters) -> pd.DataFrame:
    """One row per task, largest spend first. Columns: ``TASK_COST_COLUMNS``.

    ``spend_usd`` sums runs with a known cost; ``priced_spend_usd`` also adds the priced calls of
    partly-priced runs. Money columns are floats (NaN = unknown).
    """
    raise NotImplementedError


def task_cost_trend(engine: Engine, filters: Filters, bucket: Bucket = "day") -> pd.DataFrame:
    """Per bucket and task: ``bucket, task, runs, cost_per_run_mean, cost_per_run_p50, cost_per_run_p95, spend_usd``."""
    raise NotImplementedError


def task_runs(engine: Engine, filters: Filters, task: str, limit: int = 100, offset: int = 0) -> pd.DataFrame:
    """Runs of one task, newest first: ``trace_id`` (hex), times, service, calls, errors, tokens, cost,
    first/final model, escalation kind and models, escalation cost, verification."""
    raise NotImplementedError


def run_calls(engine: Engine, trace_id: str | bytes) -> pd.DataFrame:
    """Every call of one trace in start order (never content): ids, times, model names, tokens, cost,
    status, finish reason, task, escalation, verification."""
    raise NotImplementedError
