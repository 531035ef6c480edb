"""The weekly model-mix review: what changed this week, and the three things to do next.

``generate_review(engine, "2026-W47", pricebook, tiers)`` gathers the week and the week before
through ``modelmix.analytics``, renders markdown and a self-contained HTML page (inline SVG charts,
no script, no URL), and stores both with the data in ``review_snapshots`` so a past week reads the
same after repricing. ``list_snapshots`` / ``load_snapshot`` read stored reviews back;
``post_text`` delivers ``summary_markdown`` to an incoming webhook. See docs/review.md.
"""

from modelmix.review.generate import generate_review
from modelmix.review.html import render_html
from modelmix.review.markdown import render_markdown, summary_markdown
from modelmix.review.snapshots import (
    ReviewSnapshot,
    SnapshotInfo,
    SnapshotNotFound,
    latest_snapshot,
    list_snapshots,
    load_snapshot,
    store_snapshot,
)
from modelmix.review.webhook import WebhookError, post_text
from modelmix.review.weeks import iso_week_of, last_complete_week, parse_iso_week

__all__ = [
    "ReviewSnapshot", "SnapshotInfo", "SnapshotNotFound", "WebhookError", "generate_review", "iso_week_of",
    "last_complete_week", "latest_snapshot", "list_snapshots", "load_snapshot", "parse_iso_week", "post_text",
    "render_html", "render_markdown", "store_snapshot", "summary_markdown",
]
