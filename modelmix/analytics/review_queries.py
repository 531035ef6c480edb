"""Queries only the weekly review needs: the price overrides that took effect inside a window.

A price change "takes effect" in a window when a ``model_prices`` row's ``valid_from`` falls in
``[since, until)``. Each change is returned with the price that was in force for the same model
just before it (from the given price book: an older override or the genai-prices default), so the
review can say "from $X to $Y". Pattern overrides have no single previous price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select

from modelmix.analytics.filters import as_utc
from modelmix.analytics.tables import model_prices

MAX_PRICE_CHANGES = 500
_JUST_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True)
class PriceChange:
    """One override that took effect in the window, and the price it replaced (None: unknown)."""

    price_id: int
    provider: str | None  # None: any provider
    model: str  # exact model id or glob pattern
    match_kind: str  # exact | pattern
    valid_from: datetime
    valid_until: datetime | None
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cache_read_per_mtok: Decimal | None
    cache_write_per_mtok: Decimal | None
    note: str | None
    previous_input_per_mtok: Decimal | None
    previous_output_per_mtok: Decimal | None
    previous_source: str | None  # "override:<id>", "genai-prices …", or None when nothing was in force


def price_changes(engine: Engine, since: datetime, until: datetime, pricebook: object | None = None,
                  limit: int = MAX_PRICE_CHANGES) -> list[PriceChange]:
    """Overrides whose ``valid_from`` is in ``[since, until)``, oldest first (at most ``limit``).

    ``pricebook`` (a ``modelmix.pricing.PriceBook``) supplies the previous price; without it the
    previous-price fields are None."""
    since, until = as_utc(since), as_utc(until)
    if since >= until:
        raise ValueError(f"the window must start before it ends (since={since.isoformat()}, "
                         f"until={until.isoformat()})")
    p = model_prices.c
    stmt = (
        select(p.id, p.provider, p.model_pattern, p.match_kind, p.valid_from, p.valid_until, p.input_per_mtok,
               p.output_per_mtok, p.cache_read_per_mtok, p.cache_write_per_mtok, p.note)
        .where(p.valid_from >= since, p.valid_from < until)
        .order_by(p.valid_from, p.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    changes = []
    for row in rows:
        previous = None
        if pricebook is not None and row.match_kind == "exact":
            rate_at = getattr(pricebook, "rate", None)
            if callable(rate_at):
                previous = rate_at(row.provider, row.model_pattern, as_utc(row.valid_from) - _JUST_BEFORE)
        changes.append(PriceChange(
            price_id=int(row.id), provider=row.provider, model=row.model_pattern, match_kind=row.match_kind,
            valid_from=as_utc(row.valid_from),
            valid_until=None if row.valid_until is None else as_utc(row.valid_until),
            input_per_mtok=row.input_per_mtok, output_per_mtok=row.output_per_mtok,
            cache_read_per_mtok=row.cache_read_per_mtok, cache_write_per_mtok=row.cache_write_per_mtok,
            note=row.note,
            previous_input_per_mtok=None if previous is None else previous.input.base,
            previous_output_per_mtok=None if previous is None else previous.output.base,
            previous_source=None if previous is None else previous.source,
        ))
    return changes
