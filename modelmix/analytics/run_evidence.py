"""Run evidence for the downgrade rule: per (task, first model), runs started on it and how many failed.

A run *failed* when it escalated, had an error, or failed verification. Read from ``task_runs``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, or_, select

from modelmix.analytics.filters import Filters
from modelmix.analytics.runs import run_conditions
from modelmix.analytics.tables import task_runs


@dataclass(frozen=True)
class RunEvidence:
    runs: int
    failures: int


def run_evidence(conn: Connection, filters: Filters,
                 canonical: Callable[[str | None], str]) -> dict[tuple[str, str], RunEvidence]:
    """(task, canonical first model) -> runs started on that model and how many of them failed."""
    r = task_runs.c
    failed = or_(r.escalated, r.has_error, r.verification == "fail")
    stmt = (
        select(r.task, r.first_model, func.count().label("runs"), func.count().filter(failed).label("failures"))
        .where(and_(*run_conditions(filters), r.first_model.is_not(None)))
        .group_by(r.task, r.first_model)
    )
    found: dict[tuple[str, str], RunEvidence] = {}
    for row in conn.execute(stmt):
        key = (row.task, canonical(row.first_model))
        before = found.get(key, RunEvidence(0, 0))
        found[key] = RunEvidence(before.runs + int(row.runs), before.failures + int(row.failures))
    return found
