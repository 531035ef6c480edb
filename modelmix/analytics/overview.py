"""Headline numbers for a window and the previous window of equal length (week-over-week change).

Totals come from the rollups (plus raw edges, see ``facts``) and run counts from the run rollups (``run_facts``).
Unknown cost stays unknown: ``cost_usd`` sums priced calls and ``unpriced_calls`` counts the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine

from modelmix.analytics.convert import ratio, sum_known
from modelmix.analytics.facts import call_totals
from modelmix.analytics.filters import Filters
from modelmix.analytics.protocols import PriceLookup, TierLookup
from modelmix.analytics.run_facts import run_totals


@dataclass(frozen=True)
class PeriodTotals:
    since: datetime
    until: datetime
    calls: int  # LLM calls, failed ones included
    errors: int
    embedding_calls: int
    input_tokens: int | None
    output_tokens: int | None
    cached_input_tokens: int | None
    calls_missing_tokens: int
    cost_usd: Decimal | None  # priced calls only; None when calls exist but none is priced
    unpriced_calls: int
    frontier_calls: int
    frontier_cost_usd: Decimal | None
    frontier_share_calls: float | None
    frontier_share_cost: float | None
    task_runs: int
    escalated_runs: int
    escalation_rate: float | None


@dataclass(frozen=True)
class Overview:
    current: PeriodTotals
    previous: PeriodTotals
    avoidable_spend_usd: Decimal | None  # None unless a price book and tier map were given

    def change(self, name: str) -> float | None:
        """Relative change of a numeric field from the previous period (0.25 = +25%); None if unknown."""
        now, before = getattr(self.current, name), getattr(self.previous, name)
        if now is None or before is None or before == 0:
            return None
        return float(now) / float(before) - 1.0


def _run_counts(engine: Engine, periods: list[Filters]) -> list[tuple[int, int]]:
    """(runs, escalated runs) per period, from the run rollups."""
    out = []
    with engine.connect() as conn:
        for period in periods:
            groups = run_totals(conn, period, ("escalation",))
            out.append((sum(g["runs"] for g in groups), sum(g["runs"] for g in groups if g["escalation"])))
    return out


def period_totals(engine: Engine, filters: Filters, runs: tuple[int, int] | None = None) -> PeriodTotals:
    """Totals of one window (``runs`` = precomputed (runs, escalated runs), read when not given)."""
    with engine.connect() as conn:
        llm = call_totals(conn, filters, ("tier",))
        embeddings = call_totals(conn, filters, (), call_kind="embedding")[0]
    run_count, escalated_runs = runs if runs is not None else _run_counts(engine, [filters])[0]

    def total(name: str) -> int:
        return sum(int(r[name]) for r in llm)

    def tokens(name: str) -> int | None:
        known = [r[name] for r in llm if r[name] is not None]
        return sum(known) if known else None

    cost = sum_known(r["cost_usd"] for r in llm)
    frontier = [r for r in llm if r["tier"] == "frontier"]
    frontier_calls = sum(int(r["calls"]) for r in frontier)
    frontier_cost = sum_known(r["cost_usd"] for r in frontier)
    calls = total("calls")
    return PeriodTotals(
        since=filters.since, until=filters.until, calls=calls, errors=total("errors"),
        embedding_calls=int(embeddings["calls"]),
        input_tokens=tokens("input_tokens"), output_tokens=tokens("output_tokens"),
        cached_input_tokens=tokens("cache_read_tokens"), calls_missing_tokens=total("calls_missing_tokens"),
        cost_usd=cost if calls else Decimal(0), unpriced_calls=total("unpriced_calls"),
        frontier_calls=frontier_calls, frontier_cost_usd=frontier_cost,
        frontier_share_calls=ratio(frontier_calls, calls), frontier_share_cost=ratio(frontier_cost, cost),
        task_runs=run_count, escalated_runs=escalated_runs,
        escalation_rate=ratio(escalated_runs, run_count),
    )


def overview(
    engine: Engine, filters: Filters, pricebook: PriceLookup | None = None, tiers: TierLookup | None = None
) -> Overview:
    """The window's totals, the previous window's, and (with pricing) the estimated avoidable spend."""
    avoidable: Decimal | None = None
    if pricebook is not None and tiers is not None:
        from modelmix.analytics.candidates import avoidable_spend

        avoidable = avoidable_spend(engine, filters, pricebook, tiers)
    previous = filters.previous()
    runs_now, runs_before = _run_counts(engine, [filters, previous])
    return Overview(period_totals(engine, filters, runs_now), period_totals(engine, previous, runs_before),
                    avoidable)
