"""Downgrade candidates: (task, model) groups a cheaper model is expected to serve, and the saving.

See docs/metrics.md for the full rule. In short, for each (task, model) group of first-attempt
calls (calls that are not themselves an escalation retry):

- *evidence*: a cheaper model already runs the same task — runs started on it fail (escalate,
  error or fail verification) at a low rate, on calls of similar size;
- *heuristic*: no such evidence, but the calls are simple (short input and output, no tool use,
  normal finish) and the tier map names a cheaper sibling.

Projected cost = the same calls' tokens at the cheaper model's price (per call size band, at the
price in force each hour) + expected escalation rate × current cost. Savings = current − projected.
Candidates with no saving are dropped; the rest are sorted by savings, largest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import pandas as pd
from sqlalchemy import Engine

from modelmix.analytics.filters import Filters
from modelmix.analytics.protocols import PriceLookup, TierLookup

Confidence = Literal["high", "medium", "low"]
BasisKind = Literal["evidence", "heuristic"]


@dataclass(frozen=True)
class Candidate:
    """One downgrade candidate with its money (exact Decimal) and the evidence behind it."""

    task: str
    model: str  # canonical model serving the calls today
    provider: str
    suggested_model: str
    kind: BasisKind
    calls: int
    current_cost_usd: Decimal
    projected_cost_usd: Decimal
    savings_usd: Decimal
    expected_escalation_rate: float  # assumed share of calls that would cascade back up
    interval_low: float  # 95% Wilson interval on the cheaper model's failure rate (0..1 for heuristic)
    interval_high: float
    sample_runs: int  # runs observed on the cheaper model for this task (0 for heuristic)
    confidence: Confidence
    basis: str  # the reasoning in words
    unpriced_calls: int  # calls of the group left out because they cannot be priced
    mean_input_tokens: float | None
    mean_output_tokens: float | None


def downgrade_candidates(
    engine: Engine, filters: Filters, pricebook: PriceLookup, tiers: TierLookup
) -> list[Candidate]:
    """Every candidate in the window, sorted by savings (largest first)."""
    raise NotImplementedError


def avoidable_spend(engine: Engine, filters: Filters, pricebook: PriceLookup, tiers: TierLookup) -> Decimal:
    """Estimated avoidable spend: the sum of the candidates' savings."""
    return sum((c.savings_usd for c in downgrade_candidates(engine, filters, pricebook, tiers)), Decimal(0))


def candidates_frame(candidates: list[Candidate]) -> pd.DataFrame:
    """Candidates as a DataFrame (money as float) for tables and charts."""
    rows = [{**c.__dict__, "current_cost_usd": float(c.current_cost_usd),
             "projected_cost_usd": float(c.projected_cost_usd), "savings_usd": float(c.savings_usd)}
            for c in candidates]
    return pd.DataFrame(rows, columns=list(Candidate.__dataclass_fields__))


def candidate_calls(engine: Engine, filters: Filters, task: str, model: str, limit: int = 100) -> pd.DataFrame:
    """The first-attempt calls of one (task, canonical model) group, newest first (never content)."""
    raise NotImplementedError
