"""SQLAlchemy Core handles on the tables analytics reads (the schema itself lives in modelmix.db.models)."""

from __future__ import annotations

from sqlalchemy import Table

from modelmix.db.models import (
    CallRepriceRollupRow,
    CallRollupRow,
    LlmCallRow,
    ModelPriceRow,
    ModelTierRow,
    TaskRunCostDayRow,
    TaskRunRollupRow,
    TaskRunRow,
)

llm_calls: Table = LlmCallRow.__table__  # type: ignore[assignment]
task_runs: Table = TaskRunRow.__table__  # type: ignore[assignment]
rollups: Table = CallRollupRow.__table__  # type: ignore[assignment]
model_prices: Table = ModelPriceRow.__table__  # type: ignore[assignment]
model_tiers: Table = ModelTierRow.__table__  # type: ignore[assignment]
run_rollups: Table = TaskRunRollupRow.__table__  # type: ignore[assignment]
run_cost_days: Table = TaskRunCostDayRow.__table__  # type: ignore[assignment]
reprice_rollups: Table = CallRepriceRollupRow.__table__  # type: ignore[assignment]
