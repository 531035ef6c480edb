"""Run evidence for the downgrade rule: per (task, first model), runs started on it and how many failed.

A run *failed* when it escalated, had an error, or failed verification. Read from the run rollups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from modelmix.analytics.filters import Filters
from modelmix.analytics.run_facts import run_totals


@dataclass(frozen=True)
class RunEvidence:
    runs: int
    failures: int


def run_evidence(conn: Connection, filters: Filters,
                 canonical: Callable[[str | None], str]) -> dict[tuple[str, str], RunEvidence]:
    """(task, canonical first model) -> runs started on that model and how many of them failed."""
    found: dict[tuple[str, str], RunEvidence] = {}
    for g in run_totals(conn, filters, ("task", "first_model", "escalation", "verification")):
        if not g["first_model"]:
            continue
        failed = g["runs"] if g["escalation"] or g["verification"] == "fail" else g["error_runs"]
        key = (g["task"], canonical(g["first_model"]))
        before = found.get(key, RunEvidence(0, 0))
        found[key] = RunEvidence(before.runs + g["runs"], before.failures + failed)
    return found
