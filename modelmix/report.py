"""The window report: one dict (``build_report``) rendered as JSON or markdown.

The shape follows the report contract in DESIGN.md — ``window``, ``totals``, ``models``, ``tasks``,
``downgrade_candidates`` — plus a few extra keys (``errors`` per model and in totals, unpriced
counts, run-cost percentiles). Calls are LLM calls whose start time is in ``[since, until)``, failed
calls included. Money is summed exactly as ``Decimal`` and rendered as a float; a cost that is
unknown because no call of a group is priced is ``null``, never 0 (``unpriced_calls`` says how
many calls carry no cost). The weekly review reuses ``build_report``.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from modelmix.analytics import Filters, downgrade_candidates, model_totals, overview, task_costs
from modelmix.analytics.protocols import PriceLookup, TierLookup

FORMATS = ("json", "markdown")


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _iso(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def build_report(engine: Engine, filters: Filters, pricebook: PriceLookup, tiers: TierLookup) -> dict[str, Any]:
    """The report for ``filters`` as plain JSON-ready data."""
    totals = overview(engine, filters).current
    models = model_totals(engine, filters)
    tasks = task_costs(engine, filters)
    candidates = downgrade_candidates(engine, filters, pricebook, tiers)
    return {
        "window": {"since": _iso(filters.since), "until": _iso(filters.until)},
        "filters": {"services": list(filters.services), "environments": list(filters.environments),
                    "tasks": list(filters.tasks)},
        "totals": {
            "calls": totals.calls, "errors": totals.errors, "input_tokens": totals.input_tokens,
            "output_tokens": totals.output_tokens, "cached_input_tokens": totals.cached_input_tokens,
            "cost_usd": _money(totals.cost_usd), "task_runs": totals.task_runs,
            "unpriced_calls": totals.unpriced_calls, "calls_missing_tokens": totals.calls_missing_tokens,
            "escalated_runs": totals.escalated_runs, "escalation_rate": totals.escalation_rate,
            "frontier_share_calls": totals.frontier_share_calls,
            "avoidable_spend_usd": float(sum((c.savings_usd for c in candidates), Decimal(0))),
        },
        "models": [
            {"model": m.model, "provider": m.provider, "tier": tiers.tier(m.model) or m.tier or "unknown",
             "calls": m.calls, "errors": m.errors, "input_tokens": m.input_tokens,
             "output_tokens": m.output_tokens, "cached_input_tokens": m.cached_input_tokens,
             "cost_usd": _money(m.cost_usd), "unpriced_calls": m.unpriced_calls,
             "share_calls": m.share_calls, "share_cost": m.share_cost}
            for m in models
        ],
        "tasks": [
            {"task": row["task"], "runs": int(row["runs"]), "calls": int(row["calls"]),
             "errors": int(row["errors"]), "cost_usd": _num(row["priced_spend_usd"]),
             "cost_per_run": _num(row["cost_per_run_mean"]), "cost_per_run_p50": _num(row["cost_per_run_p50"]),
             "cost_per_run_p95": _num(row["cost_per_run_p95"]), "unpriced_runs": int(row["unpriced_runs"]),
             "escalated_runs": int(row["escalated_runs"]), "escalation_rate": _num(row["escalation_rate"])}
            for row in tasks.to_dict("records")
        ],
        "downgrade_candidates": [
            {"task": c.task, "model": c.model, "suggested_model": c.suggested_model, "calls": c.calls,
             "current_cost_usd": float(c.current_cost_usd), "projected_cost_usd": float(c.projected_cost_usd),
             "savings_usd": float(c.savings_usd), "confidence": c.confidence, "basis": c.basis,
             "kind": c.kind, "expected_escalation_rate": c.expected_escalation_rate,
             "sample_runs": c.sample_runs}
            for c in candidates
        ],
    }


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, allow_nan=False)


def _usd(value: float | None) -> str:
    if value is None:
        return "unknown"
    if abs(value) < 1:
        return f"${value:,.6f}"
    return f"${value:,.4f}" if abs(value) < 100 else f"${value:,.2f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _int(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return ["_none_", ""]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(report: dict[str, Any]) -> str:
    """The same content as the JSON, for people."""
    w, t = report["window"], report["totals"]
    out = [f"# modelmix report: {w['since']} to {w['until']}", ""]
    scope = [f"{k}: {', '.join(v)}" for k, v in report.get("filters", {}).items() if v]
    if scope:
        out += ["Filtered to " + "; ".join(scope) + ".", ""]
    out += [
        "## Totals", "",
        f"- Calls: {_int(t['calls'])} ({_int(t['errors'])} failed)",
        f"- Tokens: {_int(t['input_tokens'])} input ({_int(t['cached_input_tokens'])} cached), "
        f"{_int(t['output_tokens'])} output",
        f"- Spend: {_usd(t['cost_usd'])} over priced calls; {_int(t['unpriced_calls'])} unpriced calls",
        f"- Task runs: {_int(t['task_runs'])}, escalated {_int(t['escalated_runs'])} "
        f"({_pct(t['escalation_rate'])})",
        f"- Estimated avoidable spend: {_usd(t['avoidable_spend_usd'])}", "",
        "## Model mix", "",
    ]
    out += _table(
        ["Model", "Provider", "Tier", "Calls", "Errors", "Input", "Output", "Cached", "Cost", "Calls %", "Cost %"],
        [[m["model"] or "(unknown)", m["provider"] or "(unknown)", m["tier"], _int(m["calls"]), _int(m["errors"]),
          _int(m["input_tokens"]), _int(m["output_tokens"]), _int(m["cached_input_tokens"]), _usd(m["cost_usd"]),
          _pct(m["share_calls"]), _pct(m["share_cost"])] for m in report["models"]],
    )
    out += ["## Cost per task", ""]
    out += _table(
        ["Task", "Runs", "Calls", "Cost", "Cost/run", "p95/run", "Escalated", "Escalation rate"],
        [[x["task"], _int(x["runs"]), _int(x["calls"]), _usd(x["cost_usd"]), _usd(x["cost_per_run"]),
          _usd(x["cost_per_run_p95"]), _int(x["escalated_runs"]), _pct(x["escalation_rate"])]
         for x in report["tasks"]],
    )
    out += ["## Downgrade candidates", ""]
    out += _table(
        ["Task", "Model", "Suggested", "Calls", "Current", "Projected", "Savings", "Confidence"],
        [[c["task"], c["model"], c["suggested_model"], _int(c["calls"]), _usd(c["current_cost_usd"]),
          _usd(c["projected_cost_usd"]), _usd(c["savings_usd"]), c["confidence"]]
         for c in report["downgrade_candidates"]],
    )
    for c in report["downgrade_candidates"]:
        out.append(f"- **{c['task']} / {c['model']} → {c['suggested_model']}**: {c['basis']}")
    return "\n".join(out).rstrip() + "\n"


def render(report: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return render_json(report) + "\n"
    if fmt == "markdown":
        return render_markdown(report)
    raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
