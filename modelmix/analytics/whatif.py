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

from modelmix.analytics.filters import FilterError, Filters
from modelmix.analytics.protocols import PriceLookup


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
    actual_mix: pd.DataFrame  # model, calls, cost_usd, share_calls, share_cost
    projected_mix: pd.DataFrame  # same columns under the policy
    by_rule: pd.DataFrame  # task, from_model, to_model, moved_calls, actual_cost_usd, projected_cost_usd


def what_if(engine: Engine, filters: Filters, policy: RoutingPolicy, pricebook: PriceLookup) -> WhatIfResult:
    """Re-price the window under ``policy``."""
    raise NotImplementedError
