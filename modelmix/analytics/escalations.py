"""Escalation rate: how often a run cascades from a cheaper to a pricier model, and what it costs.

Read from ``task_runs`` (the assembler records ``escalated``, ``escalation`` = explicit|inferred,
the from/to models and ``escalation_cost_usd``). Rate of a task = escalated runs / runs. Explicit
and inferred escalations are always reported separately as well as together.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from modelmix.analytics.facts import Bucket
from modelmix.analytics.filters import Filters

TASK_COLUMNS = [
    "task", "runs", "escalated_runs", "explicit_runs", "inferred_runs", "escalation_rate",
    "explicit_rate", "inferred_rate", "escalation_cost_usd", "failed_verifications",
]
PAIR_COLUMNS = [
    "from_model", "to_model", "escalated_runs", "explicit_runs", "inferred_runs",
    "runs_started_on_from", "rate", "escalation_cost_usd",
]


@dataclass(frozen=True)
class Escalations:
    """Escalations in a window: per task, per (from, to) model pair, and overall."""

    by_task: pd.DataFrame  # TASK_COLUMNS
    by_pair: pd.DataFrame  # PAIR_COLUMNS
    runs: int
    escalated_runs: int
    explicit_runs: int
    inferred_runs: int
    rate: float | None


def escalations(engine: Engine, filters: Filters) -> Escalations:
    """Escalation counts, rates and their cost for the window."""
    raise NotImplementedError


def escalation_trend(engine: Engine, filters: Filters, bucket: Bucket = "day") -> pd.DataFrame:
    """Per bucket: ``bucket, runs, escalated_runs, explicit_runs, inferred_runs, rate``."""
    raise NotImplementedError
