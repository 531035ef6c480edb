"""Stored reviews: read back byte for byte, untouched by later repricing; listing and lookup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from modelmix.db.models import ReviewSnapshotRow
from modelmix.pricing import PriceBook, PriceOverride, reprice, set_price_override
from modelmix.review import (
    SnapshotNotFound,
    generate_review,
    latest_snapshot,
    list_snapshots,
    load_snapshot,
)
from tests.review.conftest import Pricing, load_pricing
from tests.review.fortnight import W46, W47

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def _spend(data: dict[str, Any]) -> Decimal:
    return Decimal(next(h for h in data["headline"] if h["key"] == "spend_usd")["current"])


def test_a_stored_review_does_not_change_when_prices_change_and_history_is_repriced(
        engine: Engine, fortnight: Pricing) -> None:
    stored = generate_review(engine, "2026-W47", fortnight.book, fortnight.tiers, now=NOW)
    assert stored.id is not None and _spend(stored.data) == Decimal("0.07072")

    # gpt-4o doubles: 1000 x 5.00 / 1e6 + 100 x 20.00 / 1e6 = $0.007 per call.
    set_price_override(engine, PriceOverride(model="gpt-4o", input_per_mtok=Decimal("5.00"),
                                             output_per_mtok=Decimal("20.00"),
                                             valid_from=datetime(2026, 1, 1, tzinfo=UTC)))
    result = reprice(engine, PriceBook.load(engine), W46, W47 + timedelta(days=7))
    assert result.rows_seen == 97 and result.rollups == "recomputed"

    # A review generated now sees the new prices: 14 x 0.007 + 32 x 0.00021 + 10 x 0.0015 = 0.11972 ...
    repriced = load_pricing(engine)
    fresh = generate_review(engine, "2026-W47", repriced.book, repriced.tiers, store=False, now=NOW)
    assert _spend(fresh.data) == Decimal("0.11972")
    assert fresh.markdown != stored.markdown and fresh.html != stored.html

    # ... but the stored one reads exactly as it was written.
    again = load_snapshot(engine, stored.id)
    assert again.html == stored.html
    assert again.markdown == stored.markdown
    assert again.html.encode("utf-8") == stored.html.encode("utf-8")
    assert again.data == stored.data and _spend(again.data) == Decimal("0.07072")
    assert (again.week, again.generated_at) == ("2026-W47", NOW)
    latest = latest_snapshot(engine, "2026-W47")
    assert latest is not None and latest.id == stored.id and latest.html == stored.html


def test_listing_is_newest_week_first_and_latest_picks_the_newest_generation(
        engine: Engine, fortnight: Pricing) -> None:
    first = generate_review(engine, "2026-W47", fortnight.book, fortnight.tiers, now=NOW)
    older_week = generate_review(engine, "2026-W46", fortnight.book, fortnight.tiers, now=NOW)
    second = generate_review(engine, "2026-W47", fortnight.book, fortnight.tiers, now=NOW + timedelta(hours=1))
    listed = list_snapshots(engine)
    assert [(s.id, s.week) for s in listed] == [
        (second.id, "2026-W47"), (first.id, "2026-W47"), (older_week.id, "2026-W46")]
    assert listed[0].generated_at == NOW + timedelta(hours=1)
    latest = latest_snapshot(engine, "2026-W47")
    assert latest is not None and latest.id == second.id
    assert latest_snapshot(engine, "2026-W45") is None


def test_loading_a_missing_or_malformed_id_is_a_clear_error(engine: Engine) -> None:
    with pytest.raises(SnapshotNotFound, match="no stored review has id 42"):
        load_snapshot(engine, 42)
    for bad in ("1; DROP TABLE review_snapshots", None, 1.5, True):
        with pytest.raises(SnapshotNotFound, match="integer"):
            load_snapshot(engine, bad)  # type: ignore[arg-type]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ReviewSnapshotRow.__table__)).scalar_one() == 0
