"""Every read query the dashboard, the CLI report and the weekly review use — the one place for read SQL.

All functions take an ``Engine`` and a validated ``Filters`` window. Aggregates read the hourly
rollups (plus raw rows for partial edge hours), run statistics read ``task_runs``, and only
drill-down and candidate features touch raw ``llm_calls``, always bounded. Money in dataclasses is
``Decimal``; DataFrames carry money as float (NaN = unknown) for tables and charts. Unknown cost is
never summed as $0: every result that sums cost also exposes how many calls were unpriced.
"""

from modelmix.analytics.calls import calls_csv, calls_page, price_disagreements
from modelmix.analytics.candidates import (
    Candidate,
    avoidable_spend,
    candidate_calls,
    candidates_frame,
    downgrade_candidates,
)
from modelmix.analytics.choices import environments, services, tasks
from modelmix.analytics.escalations import Escalations, escalation_trend, escalations
from modelmix.analytics.filters import FilterError, Filters, as_utc
from modelmix.analytics.mix import (
    ModelTotals,
    frontier_share_series,
    model_mix,
    model_mix_breakdown,
    model_mix_series,
    model_totals,
)
from modelmix.analytics.overview import Overview, PeriodTotals, overview, period_totals
from modelmix.analytics.per_task import run_calls, task_cost_trend, task_costs, task_runs
from modelmix.analytics.protocols import PriceLookup, TierLookup
from modelmix.analytics.whatif import RoutingPolicy, RoutingRule, WhatIfResult, what_if

__all__ = [
    "Candidate", "Escalations", "FilterError", "Filters", "ModelTotals", "Overview", "PeriodTotals",
    "PriceLookup", "RoutingPolicy", "RoutingRule", "TierLookup", "WhatIfResult", "as_utc",
    "avoidable_spend", "calls_csv", "calls_page", "candidate_calls", "candidates_frame",
    "downgrade_candidates", "environments", "escalation_trend", "escalations", "frontier_share_series",
    "model_mix", "model_mix_breakdown", "model_mix_series", "model_totals", "overview", "period_totals",
    "price_disagreements", "run_calls", "services", "task_cost_trend", "task_costs", "task_runs", "tasks",
    "what_if",
]
