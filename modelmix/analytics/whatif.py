"""What-if: re-price a window as if a routing policy had sent some calls to another model.

A ``RoutingRule`` moves the calls of (task, from_model) — every task when ``task`` is None — to
``to_model``. Moved calls are priced at ``to_model``'s rate in force at each call's hour with their
own tokens (per size band, so size-tiered prices apply per call), plus ``escalation_rate`` × their
current cost (the retry on the original model that the cascade would cause). Everything else keeps
its actual cost. Rules are applied first match wins, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine

from modelmix.analytics.convert import frame, ratio
from modelmix.analytics.filters import FilterError, Filters
from modelmix.analytics.mix import model_totals
from modelmix.analytics.protocols import PriceLookup
from modelmix.analytics.reprice import Move, reprice


@dataclass(frozen=True)
class RoutingRule:
    """Send calls of ``task`` (None = any task) on ``from_model`` to ``to_model``."""

    task: str | None
    from_model: str
    to_model: str
    escalation_rate: float = 0.0  # share of moved calls expected to be retried on from_model

    def __post_init__(self) -> None:
        if not self.from_model or not self.to_model:
            raise FilterError("a routing rule needs both a from-model and a to-model")
        if not 0.0 <= float(self.escalation_rate) <= 1.0:
            raise FilterError(f"escalation_rate must be between 0 and 1, got {self.escalation_rate!r}")


@dataclass(frozen=True)
class RoutingPolicy:
    rules: tuple[RoutingRule, ...] = field(default=())


@dataclass(frozen=True)
class WhatIfResult:
    """Actual next to projected spend and mix. Money is exact Decimal over priced calls."""

    actual_cost_usd: Decimal
    projected_cost_usd: Decimal
    savings_usd: Decimal  # actual − projected (negative when the policy costs more)
    moved_calls: int
    unpriceable_calls: int  # moved calls the new model cannot price; kept at their actual cost
    unpriced_calls: int  # calls with no actual cost at all (left out of both sides)
    actual_mix: pd.DataFrame  # MIX_COLUMNS, priced calls only
    projected_mix: pd.DataFrame  # MIX_COLUMNS under the policy
    by_rule: pd.DataFrame  # RULE_COLUMNS


MIX_COLUMNS = ["model", "calls", "cost_usd", "share_calls", "share_cost"]
RULE_COLUMNS = ["task", "from_model", "to_model", "escalation_rate", "moved_calls", "unpriceable_calls",
                "actual_cost_usd", "projected_cost_usd"]


def _mix_frame(calls: dict[str, int], cost: dict[str, Decimal]) -> pd.DataFrame:
    total_calls = sum(calls.values())
    total_cost = sum(cost.values(), Decimal(0))
    ordered = sorted((m for m, n in calls.items() if n or cost.get(m)),
                     key=lambda m: (-cost.get(m, Decimal(0)), -calls[m], m))
    rows: list[dict[str, object]] = [
        {"model": m, "calls": calls[m], "cost_usd": float(cost.get(m, Decimal(0))),
         "share_calls": ratio(calls[m], total_calls), "share_cost": ratio(cost.get(m, Decimal(0)), total_cost)}
        for m in ordered
    ]
    return frame(rows, MIX_COLUMNS)


def what_if(engine: Engine, filters: Filters, policy: RoutingPolicy, pricebook: PriceLookup) -> WhatIfResult:
    """Re-price the window under ``policy``: moved calls at their new model's price, plus the
    assumed escalations at their current cost; every other call unchanged."""
    moves = [Move(r.task, r.from_model, r.to_model) for r in policy.rules]
    models = model_totals(engine, filters)
    with engine.connect() as conn:
        repriced = reprice(conn, filters, moves, pricebook)
    actual_calls = {m.model: 0 for m in models}
    actual_cost = {m.model: Decimal(0) for m in models}
    for m in models:
        actual_calls[m.model] += m.calls - m.unpriced_calls
        actual_cost[m.model] += m.cost_usd or Decimal(0)
    projected_calls, projected_cost = dict(actual_calls), dict(actual_cost)
    rule_rows: list[dict[str, object]] = []
    moved_total, unpriceable_total, delta = 0, 0, Decimal(0)
    for rule, result in zip(policy.rules, repriced, strict=True):
        moved = result.calls - result.unpriceable_calls
        moved_actual = result.actual_cost_usd - result.unpriceable_cost_usd
        at_target = result.at_target_usd - result.unpriceable_cost_usd
        retries = Decimal(str(rule.escalation_rate)) * moved_actual
        projected_rule = at_target + retries + result.unpriceable_cost_usd
        delta += projected_rule - result.actual_cost_usd
        moved_total += moved
        unpriceable_total += result.unpriceable_calls
        projected_calls[rule.from_model] = projected_calls.get(rule.from_model, 0) - moved
        projected_cost[rule.from_model] = projected_cost.get(rule.from_model, Decimal(0)) - moved_actual + retries
        projected_calls[rule.to_model] = projected_calls.get(rule.to_model, 0) + moved
        projected_cost[rule.to_model] = projected_cost.get(rule.to_model, Decimal(0)) + at_target
        rule_rows.append({"task": rule.task, "from_model": rule.from_model, "to_model": rule.to_model,
                          "escalation_rate": float(rule.escalation_rate), "moved_calls": moved,
                          "unpriceable_calls": result.unpriceable_calls,
                          "actual_cost_usd": float(result.actual_cost_usd),
                          "projected_cost_usd": float(projected_rule)})
    actual_total = sum(actual_cost.values(), Decimal(0))
    projected_total = actual_total + delta
    return WhatIfResult(
        actual_cost_usd=actual_total, projected_cost_usd=projected_total,
        savings_usd=actual_total - projected_total, moved_calls=moved_total,
        unpriceable_calls=unpriceable_total, unpriced_calls=sum(m.unpriced_calls for m in models),
        actual_mix=_mix_frame(actual_calls, actual_cost), projected_mix=_mix_frame(projected_calls, projected_cost),
        by_rule=frame(rule_rows, RULE_COLUMNS),
    )
