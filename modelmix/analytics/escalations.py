"""Escalation rate: how often a run cascades from a cheaper to a pricier model, and what it costs.

Read from the task-run rollups (``run_facts``; the assembler records ``escalated``, ``escalation`` = explicit|inferred,
the from/to models and ``escalation_cost_usd``). Rate of a task = escalated runs / runs. Rate of a
model pair = runs escalated from A to B / runs that started on A (same window and filters).
Explicit and inferred escalations are always reported separately as well as together.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from modelmix.analytics.convert import frame, money_float, ratio
from modelmix.analytics.facts import BUCKETS, Bucket
from modelmix.analytics.filters import Filters
from modelmix.analytics.run_facts import run_totals

TASK_COLUMNS = [
    "task", "runs", "escalated_runs", "explicit_runs", "inferred_runs", "escalation_rate",
    "explicit_rate", "inferred_rate", "escalation_cost_usd", "failed_verifications",
]
PAIR_COLUMNS = [
    "from_model", "to_model", "escalated_runs", "explicit_runs", "inferred_runs",
    "runs_started_on_from", "rate", "escalation_cost_usd",
]
TREND_COLUMNS = ["bucket", "runs", "escalated_runs", "explicit_runs", "inferred_runs", "rate"]


@dataclass(frozen=True)
class Escalations:
    """Escalations in a window: per task, per (from, to) model pair, and overall."""

    by_task: pd.DataFrame  # TASK_COLUMNS, highest escalation rate first
    by_pair: pd.DataFrame  # PAIR_COLUMNS, most escalated runs first
    runs: int
    escalated_runs: int
    explicit_runs: int
    inferred_runs: int
    rate: float | None


def _kind_counts(acc: dict[str, Any], runs: int, escalation: str) -> None:
    if escalation:
        acc["escalated_runs"] += runs
        acc[f"{escalation}_runs"] += runs


def _empty_counts() -> dict[str, Any]:
    return {"runs": 0, "escalated_runs": 0, "explicit_runs": 0, "inferred_runs": 0}


def _add(total: Decimal | None, value: Decimal | None) -> Decimal | None:
    if value is None:
        return total
    return value if total is None else total + value


def escalations(engine: Engine, filters: Filters) -> Escalations:
    """Escalation counts, rates and their cost for the window (read from the run rollups)."""
    with engine.connect() as conn:
        groups = run_totals(conn, filters, ("task", "first_model", "escalation", "escalated_from_model",
                                            "escalated_to_model", "verification"))
    tasks: dict[str, dict[str, Any]] = {}
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    started: dict[str, int] = {}
    for g in groups:
        runs, kind = g["runs"], g["escalation"]
        task = tasks.setdefault(g["task"], {**_empty_counts(), "escalation_cost_usd": None,
                                            "failed_verifications": 0})
        task["runs"] += runs
        _kind_counts(task, runs, kind)
        task["escalation_cost_usd"] = _add(task["escalation_cost_usd"], g["escalation_cost_usd"])
        if g["verification"] == "fail":
            task["failed_verifications"] += runs
        started[g["first_model"]] = started.get(g["first_model"], 0) + runs
        if kind:  # model pairs are about escalated runs only
            pair = pairs.setdefault((g["escalated_from_model"], g["escalated_to_model"]),
                                    {**_empty_counts(), "escalation_cost_usd": None})
            _kind_counts(pair, runs, kind)
            pair["escalation_cost_usd"] = _add(pair["escalation_cost_usd"], g["escalation_cost_usd"])
    tasks_out = []
    for name, row in tasks.items():
        runs = row["runs"]
        tasks_out.append({
            **row, "task": name, "escalation_rate": ratio(row["escalated_runs"], runs),
            "explicit_rate": ratio(row["explicit_runs"], runs), "inferred_rate": ratio(row["inferred_runs"], runs),
            "escalation_cost_usd": money_float(row["escalation_cost_usd"]),
        })
    tasks_out.sort(key=lambda x: (-(x["escalation_rate"] or 0.0), x["task"]))
    pairs_out = []
    for (from_model, to_model), row in pairs.items():
        runs_from = started.get(from_model, 0)
        pairs_out.append({
            "from_model": from_model, "to_model": to_model, "escalated_runs": row["escalated_runs"],
            "explicit_runs": row["explicit_runs"], "inferred_runs": row["inferred_runs"],
            "runs_started_on_from": runs_from, "rate": ratio(row["escalated_runs"], runs_from),
            "escalation_cost_usd": money_float(row["escalation_cost_usd"]),
        })
    pairs_out.sort(key=lambda x: (-x["escalated_runs"], x["from_model"], x["to_model"]))
    runs_total = sum(x["runs"] for x in tasks.values())
    escalated = sum(x["escalated_runs"] for x in tasks.values())
    return Escalations(
        by_task=frame(tasks_out, TASK_COLUMNS), by_pair=frame(pairs_out, PAIR_COLUMNS),
        runs=runs_total, escalated_runs=escalated,
        explicit_runs=sum(x["explicit_runs"] for x in tasks.values()),
        inferred_runs=sum(x["inferred_runs"] for x in tasks.values()),
        rate=ratio(escalated, runs_total),
    )


def escalation_trend(engine: Engine, filters: Filters, bucket: Bucket = "day", *,
                     by_task: bool = False) -> pd.DataFrame:
    """Per bucket (and per task with ``by_task``): runs started, escalated runs (explicit / inferred)
    and rate = escalated runs / runs started in the bucket. Columns ``TREND_COLUMNS`` (plus ``task``)."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, got {bucket!r}")
    dims = ("task", "escalation") if by_task else ("escalation",)
    with engine.connect() as conn:
        groups = run_totals(conn, filters, dims, bucket=bucket)
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for g in groups:
        key = (g["bucket"], g["task"]) if by_task else (g["bucket"],)
        row = rows.setdefault(key, {"bucket": g["bucket"], **({"task": g["task"]} if by_task else {}),
                                    **_empty_counts()})
        row["runs"] += g["runs"]
        _kind_counts(row, g["runs"], g["escalation"])
    out = [rows[key] for key in sorted(rows)]
    for row in out:
        row["rate"] = ratio(row["escalated_runs"], row["runs"])
    columns = TREND_COLUMNS[:1] + ["task"] + TREND_COLUMNS[1:] if by_task else TREND_COLUMNS
    return frame(out, columns)
