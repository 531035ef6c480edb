"""Model mix: which models, tiers and providers serve the window's calls, tokens and spend.

Everything here reads ``facts.call_totals`` (rollups plus raw edges) and counts LLM calls only
(embeddings are counted separately in the overview). Shares are fractions of the window's (or the
bucket's, or the split's) totals. Cost measures sum priced calls; ``unpriced_calls`` says how many
calls carry no cost, so a share of cost is a share of *known* spend.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Engine

from modelmix.analytics.convert import frame, money_float, ratio, sum_known
from modelmix.analytics.facts import Bucket, call_totals
from modelmix.analytics.filters import Filters

MixBy = Literal["model", "tier", "provider"]
Measure = Literal["calls", "tokens", "cost"]
SplitBy = Literal["service", "task", "environment"]

_BY_DIMENSION: dict[str, str] = {"model": "canonical_model", "tier": "tier", "provider": "provider"}
MEASURES: tuple[str, ...] = ("calls", "tokens", "cost")


@dataclass(frozen=True)
class ModelTotals:
    """One (canonical model, provider) in the window. Money is exact Decimal."""

    model: str
    provider: str
    tier: str
    calls: int
    errors: int
    input_tokens: int | None
    output_tokens: int | None
    cached_input_tokens: int | None
    calls_missing_tokens: int
    cost_usd: Decimal | None  # priced calls only; None when none of them is priced
    unpriced_calls: int
    share_calls: float | None
    share_cost: float | None


def _dimension(by: str) -> str:
    if by not in _BY_DIMENSION:
        raise ValueError(f"by must be one of {tuple(_BY_DIMENSION)}, got {by!r}")
    return _BY_DIMENSION[by]


def _measure_value(row: dict[str, Any], measure: str) -> float:
    if measure == "calls":
        return float(row["calls"])
    if measure == "tokens":
        return float((row["input_tokens"] or 0) + (row["output_tokens"] or 0))
    if measure == "cost":
        return money_float(row["cost_usd"]) if row["cost_usd"] is not None else 0.0
    raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")


def _add_none(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else a + b


def model_totals(engine: Engine, filters: Filters) -> list[ModelTotals]:
    """Per (canonical model, provider) totals, largest spend first, then most calls."""
    with engine.connect() as conn:
        rows = call_totals(conn, filters, ("canonical_model", "provider", "tier", "status"))
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["canonical_model"], row["provider"])
        acc = merged.setdefault(key, {"tiers": defaultdict(int), "calls": 0, "errors": 0, "input_tokens": None,
                                      "output_tokens": None, "cache_read_tokens": None,
                                      "calls_missing_tokens": 0, "costs": [], "unpriced_calls": 0})
        acc["tiers"][row["tier"]] += row["calls"]
        for name in ("calls", "errors", "calls_missing_tokens", "unpriced_calls"):
            acc[name] += int(row[name])
        for name in ("input_tokens", "output_tokens", "cache_read_tokens"):
            acc[name] = _add_none(acc[name], row[name])
        acc["costs"].append(row["cost_usd"])
    total_calls = sum(a["calls"] for a in merged.values())
    costs = {k: sum_known(a["costs"]) for k, a in merged.items()}
    total_cost = sum_known(costs.values())
    result = [
        ModelTotals(
            model=model, provider=provider,
            tier=max(acc["tiers"].items(), key=lambda kv: (kv[0] != "", kv[1]))[0],
            calls=acc["calls"], errors=acc["errors"],
            input_tokens=acc["input_tokens"], output_tokens=acc["output_tokens"],
            cached_input_tokens=acc["cache_read_tokens"], calls_missing_tokens=acc["calls_missing_tokens"],
            cost_usd=costs[(model, provider)], unpriced_calls=acc["unpriced_calls"],
            share_calls=ratio(acc["calls"], total_calls), share_cost=ratio(costs[(model, provider)], total_cost),
        )
        for (model, provider), acc in merged.items()
    ]
    result.sort(key=lambda m: (-(m.cost_usd or Decimal(0)), -m.calls, m.model, m.provider))
    return result


def model_mix(engine: Engine, filters: Filters) -> pd.DataFrame:
    """``model_totals`` as a DataFrame (money as float, unknown cost as NaN)."""
    rows = [
        {**m.__dict__, "cost_usd": money_float(m.cost_usd)} for m in model_totals(engine, filters)
    ]
    return frame(rows, list(ModelTotals.__dataclass_fields__))


def model_mix_series(
    engine: Engine, filters: Filters, bucket: Bucket = "day", by: MixBy = "model", measure: Measure = "calls"
) -> pd.DataFrame:
    """Mix over time: columns ``bucket, <by>, value, share, unpriced_calls``; share is of the bucket's total."""
    dimension = _dimension(by)
    _measure_value({"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": None}, measure)
    with engine.connect() as conn:
        rows = call_totals(conn, filters, (dimension,), bucket=bucket)
    totals: dict[Any, float] = defaultdict(float)
    for row in rows:
        totals[row["bucket"]] += _measure_value(row, measure)
    out = [
        {"bucket": row["bucket"], by: row[dimension], "value": _measure_value(row, measure),
         "share": ratio(_measure_value(row, measure), totals[row["bucket"]]),
         "unpriced_calls": int(row["unpriced_calls"])}
        for row in rows
    ]
    return frame(out, ["bucket", by, "value", "share", "unpriced_calls"])


def model_mix_breakdown(
    engine: Engine, filters: Filters, by: MixBy = "model", split: SplitBy = "service", measure: Measure = "calls"
) -> pd.DataFrame:
    """Mix within each service / task / environment: columns ``<split>, <by>, value, share``."""
    dimension = _dimension(by)
    if split not in ("service", "task", "environment"):
        raise ValueError(f"split must be service, task or environment, got {split!r}")
    _measure_value({"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": None}, measure)
    with engine.connect() as conn:
        rows = call_totals(conn, filters, (split, dimension))
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        totals[row[split]] += _measure_value(row, measure)
    out = [
        {split: row[split], by: row[dimension], "value": _measure_value(row, measure),
         "share": ratio(_measure_value(row, measure), totals[row[split]])}
        for row in rows
    ]
    return frame(out, [split, by, "value", "share"])


def frontier_share_series(
    engine: Engine, filters: Filters, bucket: Bucket = "day", measure: Measure = "calls"
) -> pd.DataFrame:
    """Share of each bucket on frontier-tier models: columns ``bucket, frontier, total, share``."""
    mix = model_mix_series(engine, filters, bucket=bucket, by="tier", measure=measure)
    if mix.empty:
        return frame([], ["bucket", "frontier", "total", "share"])
    out = []
    for bucket_value, group in mix.groupby("bucket", sort=True):
        total = float(group["value"].sum())
        frontier = float(group.loc[group["tier"] == "frontier", "value"].sum())
        out.append({"bucket": bucket_value, "frontier": frontier, "total": total, "share": ratio(frontier, total)})
    return frame(out, ["bucket", "frontier", "total", "share"])
