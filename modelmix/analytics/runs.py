"""Shared filters for ``task_runs`` reads: a run belongs to the window its start time falls in."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, literal

from modelmix.analytics.filters import Filters
from modelmix.analytics.tables import task_runs


def run_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    r = task_runs.c
    conds: list[ColumnElement[bool]] = [r.start_time >= filters.since, r.start_time < filters.until]
    if filters.services:
        conds.append(r.service.in_(filters.services))
    if filters.environments:
        conds.append(func.coalesce(r.environment, literal("")).in_(filters.environments))
    if filters.tasks:
        conds.append(r.task.in_(filters.tasks))
    return conds
