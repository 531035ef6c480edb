"""Week-over-week comparisons of the review: biggest movers, escalation changes, price changes.

Inputs are the analytics layer's frames for this week and the week before; outputs are JSON-ready
rows (see ``values``). A *mover* is a task present in both weeks whose main model (the model
serving most of its calls) changed, or whose mean cost per run moved by at least ``MIN_MOVE``;
model changes rank first, then the largest relative cost change. An escalation change is rising
when the task's rate went up by at least ``RISING_POINTS`` on at least ``RISING_MIN_RUNS`` runs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from modelmix.analytics import Escalations
from modelmix.analytics.review_queries import PriceChange
from modelmix.review.values import count, money, number, point_change, relative_change

TOP_MOVERS = 5
MIN_MOVE = 0.05  # a 5% change in mean cost per run
TOP_ESCALATIONS = 10
TOP_PAIRS = 5
RISING_POINTS = 0.05  # +5 percentage points
RISING_MIN_RUNS = 10


def _main_models(breakdown: pd.DataFrame) -> dict[str, tuple[str, float]]:
    """task -> (model serving most of its calls, that model's share); ties go to the first name."""
    best: dict[str, tuple[str, float]] = {}
    for row in breakdown.sort_values(["task", "model"]).to_dict("records"):
        share = number(row["share"]) or 0.0
        task = row["task"]
        if task not in best or share > best[task][1]:
            best[task] = (row["model"] or "unknown", share)
    return best


def movers(tasks_now: pd.DataFrame, tasks_before: pd.DataFrame, mix_now: pd.DataFrame,
           mix_before: pd.DataFrame) -> dict[str, Any]:
    """Tasks whose cost per run or main model changed most, and tasks that appeared or went away."""
    now = {r["task"]: r for r in tasks_now.to_dict("records")}
    before = {r["task"]: r for r in tasks_before.to_dict("records")}
    main_now, main_before = _main_models(mix_now), _main_models(mix_before)
    rows = []
    for task in sorted(set(now) & set(before)):
        cost, cost_before = number(now[task]["cost_per_run_mean"]), number(before[task]["cost_per_run_mean"])
        change = relative_change(cost, cost_before)
        model, share = main_now.get(task, ("unknown", 0.0))
        model_before, share_before = main_before.get(task, ("unknown", 0.0))
        changed = model != model_before
        if not changed and (change is None or abs(change) < MIN_MOVE):
            continue
        rows.append({
            "task": task, "runs": count(now[task]["runs"]), "runs_previous": count(before[task]["runs"]),
            "cost_per_run_usd": money(cost), "cost_per_run_usd_previous": money(cost_before),
            "cost_change": change, "main_model": model, "main_model_share": share,
            "main_model_previous": model_before, "main_model_share_previous": share_before,
            "model_changed": changed,
        })
    rows.sort(key=lambda r: (not r["model_changed"], -abs(r["cost_change"] or 0.0), r["task"]))
    return {
        "tasks": rows[:TOP_MOVERS],
        "new_tasks": sorted(set(now) - set(before)),
        "gone_tasks": sorted(set(before) - set(now)),
    }


def escalation_changes(now: Escalations, before: Escalations) -> dict[str, Any]:
    """Escalation rate per task in both weeks, rising ones first, plus this week's top model pairs."""
    this_week = {r["task"]: r for r in now.by_task.to_dict("records")}
    last_week = {r["task"]: r for r in before.by_task.to_dict("records")}
    rows = []
    for task in sorted(set(this_week) | set(last_week)):
        a, b = this_week.get(task, {}), last_week.get(task, {})
        rate, rate_before = number(a.get("escalation_rate")), number(b.get("escalation_rate"))
        change = point_change(rate, rate_before)
        runs = count(a.get("runs"))
        if not count(a.get("escalated_runs")) and not count(b.get("escalated_runs")):
            continue  # no escalations in either week: nothing to say
        rows.append({
            "task": task, "runs": runs, "escalated_runs": count(a.get("escalated_runs")),
            "explicit_runs": count(a.get("explicit_runs")), "inferred_runs": count(a.get("inferred_runs")),
            "rate": rate, "runs_previous": count(b.get("runs")),
            "escalated_runs_previous": count(b.get("escalated_runs")), "rate_previous": rate_before,
            "change": change,
            "rising": change is not None and change >= RISING_POINTS and runs >= RISING_MIN_RUNS,
        })
    rows.sort(key=lambda r: (r["change"] is None, -(r["change"] or 0.0), -(r["rate"] or 0.0), r["task"]))
    pairs = [
        {"from_model": p["from_model"] or "unknown", "to_model": p["to_model"] or "unknown",
         "escalated_runs": count(p["escalated_runs"]), "runs_started_on_from": count(p["runs_started_on_from"]),
         "rate": number(p["rate"]), "escalation_cost_usd": money(number(p["escalation_cost_usd"]))}
        for p in now.by_pair.head(TOP_PAIRS).to_dict("records")
    ]
    return {
        "rate": now.rate, "rate_previous": before.rate, "change": point_change(now.rate, before.rate),
        "runs": now.runs, "escalated_runs": now.escalated_runs, "explicit_runs": now.explicit_runs,
        "inferred_runs": now.inferred_runs, "tasks": rows[:TOP_ESCALATIONS], "pairs": pairs,
    }


def price_change_rows(changes: list[PriceChange]) -> list[dict[str, Any]]:
    return [
        {"price_id": c.price_id, "provider": c.provider, "model": c.model, "match_kind": c.match_kind,
         "valid_from": c.valid_from.isoformat().replace("+00:00", "Z"),
         "valid_until": None if c.valid_until is None else c.valid_until.isoformat().replace("+00:00", "Z"),
         "input_per_mtok": money(c.input_per_mtok), "output_per_mtok": money(c.output_per_mtok),
         "cache_read_per_mtok": money(c.cache_read_per_mtok),
         "previous_input_per_mtok": money(c.previous_input_per_mtok),
         "previous_output_per_mtok": money(c.previous_output_per_mtok),
         "previous_source": c.previous_source, "note": c.note}
        for c in changes
    ]
