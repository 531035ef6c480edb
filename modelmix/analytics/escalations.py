"""Escalation rate: how often a run cascades from a cheaper to a pricier model, and what it costs.

Read from ``task_runs`` (the assembler records ``escalated``, ``escalation`` = explicit|inferred,
the from/to models and ``escalation_cost_usd``). Rate of a task = escalated runs / runs. Rate of a
model pair = runs escalated from A to B / runs that started on A (same window and filters).
Explicit and inferred escalations are always reported separately as well as together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, and_, func, literal, select, tuple_

from modelmix.analytics.convert import frame, money_float, ratio
from modelmix.analytics.facts import BUCKETS, Bucket
from modelmix.analytics.filters import Filters
from modelmix.analytics.runs import run_conditions
from modelmix.analytics.tables import task_runs

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


def _counts() -> list[ColumnElement[int]]:
    r = task_runs.c
    return [
        func.count().filter(r.escalated).label("escalated_runs"),
        func.count().filter(and_(r.escalated, r.escalation == "explicit")).label("explicit_runs"),
        func.count().filter(and_(r.escalated, r.escalation == "inferred")).label("inferred_runs"),
    ]


def escalations(engine: Engine, filters: Filters) -> Escalations:
    """Escalation counts, rates and their cost for the window."""
    r = task_runs.c
    from_model = func.coalesce(r.escalated_from_model, literal(""))
    to_model = func.coalesce(r.escalated_to_model, literal(""))
    # One pass over the window's runs for all three groupings (per task, per model pair, per first
    # model): at millions of runs each pass costs about a second.
    stmt = (
        select(
            func.grouping(r.task).label("no_task"), func.grouping(from_model, to_model).label("no_pair"),
            r.task, from_model.label("from_model"), to_model.label("to_model"), r.first_model,
            func.count().label("runs"), *_counts(),
            func.sum(r.escalation_cost_usd).label("escalation_cost_usd"),
            func.sum(r.escalation_cost_usd).filter(r.escalated).label("pair_cost_usd"),
            func.count().filter(r.verification == "fail").label("failed_verifications"),
        )
        .where(and_(*run_conditions(filters)))
        .group_by(func.grouping_sets(tuple_(r.task), tuple_(from_model, to_model), tuple_(r.first_model)))
    )
    task_rows: list[dict[str, Any]] = []
    pair_rows: list[dict[str, Any]] = []
    started: dict[str | None, int] = {}
    with engine.connect() as conn:
        for x in conn.execute(stmt):
            row = dict(x._mapping)
            if not row["no_task"]:
                task_rows.append({k: row[k] for k in (
                    "task", "runs", "escalated_runs", "explicit_runs", "inferred_runs", "escalation_cost_usd",
                    "failed_verifications")})
            elif not row["no_pair"]:
                if row["escalated_runs"]:  # model pairs are about escalated runs only
                    pair_rows.append({"from_model": row["from_model"], "to_model": row["to_model"],
                                      "escalated_runs": row["escalated_runs"], "explicit_runs": row["explicit_runs"],
                                      "inferred_runs": row["inferred_runs"],
                                      "escalation_cost_usd": row["pair_cost_usd"]})
            else:
                started[row["first_model"]] = int(row["runs"])
    tasks_out = []
    for row in task_rows:
        runs = int(row["runs"])
        tasks_out.append({
            **row, "escalation_rate": ratio(row["escalated_runs"], runs),
            "explicit_rate": ratio(row["explicit_runs"], runs), "inferred_rate": ratio(row["inferred_runs"], runs),
            "escalation_cost_usd": money_float(row["escalation_cost_usd"]),
        })
    tasks_out.sort(key=lambda x: (-(x["escalation_rate"] or 0.0), x["task"]))
    pairs_out = []
    for row in pair_rows:
        runs_from = started.get(row["from_model"], 0)
        pairs_out.append({
            **row, "runs_started_on_from": runs_from, "rate": ratio(row["escalated_runs"], runs_from),
            "escalation_cost_usd": money_float(row["escalation_cost_usd"]),
        })
    pairs_out.sort(key=lambda x: (-x["escalated_runs"], x["from_model"], x["to_model"]))
    runs_total = sum(int(x["runs"]) for x in task_rows)
    escalated = sum(int(x["escalated_runs"]) for x in task_rows)
    return Escalations(
        by_task=frame(tasks_out, TASK_COLUMNS), by_pair=frame(pairs_out, PAIR_COLUMNS),
        runs=runs_total, escalated_runs=escalated,
        explicit_runs=sum(int(x["explicit_runs"]) for x in task_rows),
        inferred_runs=sum(int(x["inferred_runs"]) for x in task_rows),
        rate=ratio(escalated, runs_total),
    )


def escalation_trend(engine: Engine, filters: Filters, bucket: Bucket = "day") -> pd.DataFrame:
    """Per bucket: ``TREND_COLUMNS`` (rate = escalated runs / runs started in the bucket)."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, got {bucket!r}")
    r = task_runs.c
    bucket_col = func.date_trunc(bucket, r.start_time, "UTC")
    stmt = (
        select(bucket_col.label("bucket"), func.count().label("runs"), *_counts())
        .where(and_(*run_conditions(filters))).group_by(bucket_col).order_by(bucket_col)
    )
    with engine.connect() as conn:
        rows = [dict(x._mapping) for x in conn.execute(stmt)]
    for row in rows:
        row["rate"] = ratio(row["escalated_runs"], row["runs"])
    return frame(rows, TREND_COLUMNS)
