"""Collect one week's review data — and the week before it, for the change — via ``modelmix.analytics``.

``gather_review`` returns plain JSON-ready data (see ``values`` for how numbers are kept); the
renderers only read this data, so a stored snapshot renders the same forever. The sections that
compare the two weeks (movers, escalation changes) live in ``sections``; the three
recommendations in ``advice``. No SQL here: every number comes from the analytics layer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from modelmix.analytics import (
    Candidate,
    Filters,
    PeriodTotals,
    PriceLookup,
    TierLookup,
    downgrade_candidates,
    escalations,
    model_mix_breakdown,
    model_mix_series,
    model_totals,
    period_totals,
    task_costs,
)
from modelmix.analytics.review_queries import price_changes
from modelmix.review.advice import next_steps
from modelmix.review.sections import escalation_changes, movers, price_change_rows
from modelmix.review.values import money, number, point_change, relative_change
from modelmix.review.weeks import iso_week_of

SCHEMA_VERSION = 1
TOP_CANDIDATES = 5
CHART_MODELS = 6  # models drawn by name in the mix chart; the rest are "other"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _headline(now: PeriodTotals, before: PeriodTotals, avoid_now: Decimal, avoid_before: Decimal
              ) -> list[dict[str, Any]]:
    def item(key: str, label: str, unit: str, current: Any, previous: Any, change: float | None,
             change_unit: str, better: str | None, note: str | None = None) -> dict[str, Any]:
        return {"key": key, "label": label, "unit": unit, "current": current, "previous": previous,
                "change": change, "change_unit": change_unit, "better": better, "note": note}

    unpriced = (f"{now.unpriced_calls:,} unpriced call{'s' if now.unpriced_calls != 1 else ''} not included"
                if now.unpriced_calls else None)
    return [
        item("spend_usd", "Spend", "usd", money(now.cost_usd), money(before.cost_usd),
             relative_change(now.cost_usd, before.cost_usd), "relative", "lower", unpriced),
        item("calls", "LLM calls", "count", now.calls, before.calls, relative_change(now.calls, before.calls),
             "relative", None),
        item("frontier_share", "Frontier share of calls", "share", now.frontier_share_calls,
             before.frontier_share_calls, point_change(now.frontier_share_calls, before.frontier_share_calls),
             "points", "lower"),
        item("avoidable_spend_usd", "Avoidable spend", "usd", money(avoid_now), money(avoid_before),
             relative_change(avoid_now, avoid_before), "relative", "lower"),
        item("escalation_rate", "Escalation rate", "share", now.escalation_rate, before.escalation_rate,
             point_change(now.escalation_rate, before.escalation_rate), "points", "lower",
             f"{now.escalated_runs:,} of {now.task_runs:,} runs"),
    ]


def _mix(engine: Engine, now: Filters, before: Filters, tiers: TierLookup) -> list[dict[str, Any]]:
    """Every (model, provider) seen in either week with its calls, spend and share in both."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for suffix, filters in (("", now), ("_previous", before)):
        for m in model_totals(engine, filters):
            row = rows.setdefault((m.model, m.provider), {
                "model": m.model, "provider": m.provider, "tier": tiers.tier(m.model) or m.tier or "unknown",
                "calls": 0, "calls_previous": 0, "cost_usd": None, "cost_usd_previous": None,
                "share_calls": 0.0, "share_calls_previous": 0.0, "share_cost": None, "share_cost_previous": None,
                "unpriced_calls": 0, "unpriced_calls_previous": 0,
            })
            row["calls" + suffix] = m.calls
            row["cost_usd" + suffix] = money(m.cost_usd)
            row["share_calls" + suffix] = m.share_calls or 0.0
            row["share_cost" + suffix] = m.share_cost
            row["unpriced_calls" + suffix] = m.unpriced_calls
    out = list(rows.values())
    for row in out:
        row["shift_points"] = row["share_calls"] - row["share_calls_previous"]
    out.sort(key=lambda r: (-r["calls"], -r["calls_previous"], r["model"], r["provider"]))
    return out


def _days(since: datetime, until: datetime) -> list[date]:
    first = since.astimezone(UTC).date()
    return [first + timedelta(days=i) for i in range((until - since).days)]


def _series(frame: pd.DataFrame, column: str, days: list[date], names: list[str], value: str,
            other: str | None) -> list[dict[str, Any]]:
    """Per-name daily values in ``days`` order; names not listed are summed into ``other``."""
    index = {d: i for i, d in enumerate(days)}
    values: dict[str, list[float]] = {name: [0.0] * len(days) for name in names}
    if other is not None:
        values[other] = [0.0] * len(days)
    for row in frame.to_dict("records"):
        day = pd.Timestamp(row["bucket"]).tz_convert("UTC").date()
        name = row[column] or "unknown"
        key = name if name in values and name != other else other
        if day in index and key is not None and number(row[value]) is not None:
            values[key][index[day]] += float(row[value])
    return [{"name": name, "values": vals} for name, vals in values.items() if any(vals)]


def _charts(engine: Engine, fortnight: Filters, mix: list[dict[str, Any]]) -> dict[str, Any]:
    days = _days(fortnight.since, fortnight.until)
    by_model = model_mix_series(engine, fortnight, bucket="day", by="model", measure="calls")
    totals: dict[str, float] = {}
    for row in by_model.to_dict("records"):
        name = row["model"] or "unknown"
        totals[name] = totals.get(name, 0.0) + float(row["value"])
    ranked = sorted(totals, key=lambda name: (-totals[name], name))
    named = ranked if len(ranked) <= CHART_MODELS + 1 else ranked[:CHART_MODELS]
    by_tier = model_mix_series(engine, fortnight, bucket="day", by="tier", measure="cost")
    tier_names = ["frontier", "mid", "small", "unknown"]
    return {
        "days": [d.isoformat() for d in days],
        "calls_by_model": _series(by_model, "model", days, named, "value", "other"),
        "spend_by_tier": _series(by_tier.assign(tier=by_tier["tier"].replace("", "unknown")), "tier", days,
                                 tier_names, "value", None),
        "tiers_by_model": {r["model"]: r["tier"] for r in mix},
    }


def _model_changes(mix: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    def brief(row: dict[str, Any], calls: str, cost: str) -> dict[str, Any]:
        return {"model": row["model"], "provider": row["provider"], "tier": row["tier"], "calls": row[calls],
                "cost_usd": row[cost]}

    return {
        "new": [brief(r, "calls", "cost_usd") for r in mix if r["calls"] and not r["calls_previous"]],
        "retired": [brief(r, "calls_previous", "cost_usd_previous") for r in mix
                    if r["calls_previous"] and not r["calls"]],
    }


def _candidate(c: Candidate) -> dict[str, Any]:
    return {"task": c.task, "model": c.model, "provider": c.provider, "suggested_model": c.suggested_model,
            "calls": c.calls, "current_cost_usd": money(c.current_cost_usd),
            "projected_cost_usd": money(c.projected_cost_usd), "savings_usd": money(c.savings_usd),
            "confidence": c.confidence, "kind": c.kind, "expected_escalation_rate": c.expected_escalation_rate,
            "sample_runs": c.sample_runs, "basis": c.basis}


def gather_review(engine: Engine, week: str, since: datetime, until: datetime, pricebook: PriceLookup,
                  tiers: TierLookup, generated_at: datetime) -> dict[str, Any]:
    """The whole review of ``[since, until)`` compared with the week before, as JSON-ready data."""
    now = Filters(since, until)
    before = now.previous()
    totals_now, totals_before = period_totals(engine, now), period_totals(engine, before)
    candidates_now = downgrade_candidates(engine, now, pricebook, tiers)
    candidates_before = downgrade_candidates(engine, before, pricebook, tiers)
    avoid_now = sum((c.savings_usd for c in candidates_now), Decimal(0))
    avoid_before = sum((c.savings_usd for c in candidates_before), Decimal(0))
    mix = _mix(engine, now, before, tiers)
    esc_now, esc_before = escalations(engine, now), escalations(engine, before)
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "week": week,
        "previous_week": iso_week_of(before.since),
        "window": {"since": _iso(since), "until": _iso(until)},
        "previous_window": {"since": _iso(before.since), "until": _iso(before.until)},
        "generated_at": _iso(generated_at),
        "complete": generated_at >= until,
        "headline": _headline(totals_now, totals_before, avoid_now, avoid_before),
        "totals": {"calls": totals_now.calls, "errors": totals_now.errors, "unpriced_calls": totals_now.unpriced_calls,
                   "task_runs": totals_now.task_runs, "escalated_runs": totals_now.escalated_runs,
                   "input_tokens": totals_now.input_tokens, "output_tokens": totals_now.output_tokens},
        "mix": mix,
        "charts": _charts(engine, Filters(before.since, until), mix),
        "movers": movers(task_costs(engine, now), task_costs(engine, before),
                         model_mix_breakdown(engine, now, by="model", split="task", measure="calls"),
                         model_mix_breakdown(engine, before, by="model", split="task", measure="calls")),
        "models": _model_changes(mix),
        "candidates": [_candidate(c) for c in candidates_now[:TOP_CANDIDATES]],
        "candidates_count": len(candidates_now),
        "escalations": escalation_changes(esc_now, esc_before),
        "unpriced_models": [
            {"model": r["model"], "provider": r["provider"], "unpriced_calls": r["unpriced_calls"],
             "calls": r["calls"]}
            for r in sorted(mix, key=lambda r: (-r["unpriced_calls"], r["model"])) if r["unpriced_calls"]
        ],
        "price_changes": price_change_rows(price_changes(engine, since, until, pricebook)),
    }
    data["next_steps"] = next_steps(data)
    return data
