"""``generate_review``: gather a week's data, render markdown and HTML, and store the snapshot."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from modelmix.analytics import PriceLookup, TierLookup
from modelmix.review.gather import gather_review
from modelmix.review.html import render_html
from modelmix.review.markdown import render_markdown
from modelmix.review.snapshots import ReviewSnapshot, store_snapshot
from modelmix.review.weeks import normalize_week, parse_iso_week


def generate_review(engine: Engine, week: str, pricebook: PriceLookup, tiers: TierLookup, *,
                    store: bool = True, now: datetime | None = None) -> ReviewSnapshot:
    """The review of ISO ``week`` (e.g. ``2026-W47``) against the week before.

    Raises ``ValueError`` for a week that does not exist. With ``store`` (the default) the snapshot is
    inserted into ``review_snapshots`` and returned with its id. ``now`` fixes the generation time
    (tests); it defaults to the current UTC time."""
    week = normalize_week(week)
    since, until = parse_iso_week(week)
    generated_at = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    data = gather_review(engine, week, since, until, pricebook, tiers, generated_at)
    snapshot = ReviewSnapshot(week=week, generated_at=generated_at, data=data, markdown=render_markdown(data),
                              html=render_html(data))
    return store_snapshot(engine, snapshot) if store else snapshot
