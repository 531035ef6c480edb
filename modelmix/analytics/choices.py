"""Values for the filter pickers: the services, environments and tasks seen in the data."""

from __future__ import annotations

from sqlalchemy import Engine, select

from modelmix.analytics.tables import rollups


def _distinct(engine: Engine, column_name: str) -> list[str]:
    column = rollups.c[column_name]
    with engine.connect() as conn:
        values = conn.execute(select(column).distinct().order_by(column)).scalars().all()
    return [v for v in values if v is not None]


def services(engine: Engine) -> list[str]:
    """Every service name present in the rollups, sorted."""
    return _distinct(engine, "service")


def environments(engine: Engine) -> list[str]:
    """Every environment present in the rollups, sorted ('' = unknown environment)."""
    return _distinct(engine, "environment")


def tasks(engine: Engine) -> list[str]:
    """Every task present in the rollups, sorted (a run's task is its calls' task, so runs add none)."""
    return [t for t in _distinct(engine, "task") if t]
