"""Cross-check computed cost against the cost an instrumentation reported on the span.

``reported_cost_usd`` (``gen_ai.usage.cost``, ``llm.cost.total``) is kept only for this: a call
*disagrees* when both costs are known and ``|cost_usd - reported_cost_usd|`` exceeds the
tolerance (5 % by default) of the reported cost; a reported cost of zero disagrees with any
non-zero computed cost. Large disagreements usually mean a missing override or a token-count
convention the collector misreads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, and_, func, select

from modelmix.db.models import LlmCallRow

DEFAULT_TOLERANCE = Decimal("0.05")


@dataclass(frozen=True, slots=True)
class CostMismatch:
    trace_id: str  # hex
    span_id: str  # hex
    start_time: datetime
    provider: str | None
    model: str | None
    price_source: str | None
    cost_usd: Decimal
    reported_cost_usd: Decimal


@dataclass(frozen=True, slots=True)
class CostCheck:
    compared: int  # calls with both costs known
    disagreeing: int
    mismatches: list[CostMismatch]  # the largest absolute differences first, at most ``limit``


def cost_mismatches(engine: Engine, since: datetime, until: datetime, *,
                    tolerance: Decimal = DEFAULT_TOLERANCE, limit: int = 100) -> CostCheck:
    """Calls in ``[since, until)`` whose computed and reported costs disagree by more than ``tolerance``."""
    if tolerance < 0:
        raise ValueError("tolerance must not be negative")
    c = LlmCallRow
    both_known = and_(c.start_time >= since, c.start_time < until,
                      c.cost_usd.is_not(None), c.reported_cost_usd.is_not(None))
    difference = func.abs(c.cost_usd - c.reported_cost_usd)
    disagrees = difference > tolerance * func.abs(c.reported_cost_usd)
    with engine.connect() as conn:
        compared, disagreeing = conn.execute(
            select(func.count(), func.count().filter(disagrees)).where(both_known)
        ).one()
        rows = conn.execute(
            select(c.trace_id, c.span_id, c.start_time, c.provider, c.model, c.price_source,
                   c.cost_usd, c.reported_cost_usd)
            .where(both_known, disagrees)
            .order_by(difference.desc(), c.start_time)
            .limit(limit)
        ).all()
    mismatches = [
        CostMismatch(bytes(r.trace_id).hex(), bytes(r.span_id).hex(), r.start_time, r.provider, r.model,
                     r.price_source, r.cost_usd, r.reported_cost_usd)
        for r in rows
    ]
    return CostCheck(int(compared), int(disagreeing), mismatches)
