"""The demo's mid-period price change, applied only through the pricing module's public API.

Halfway through the demo window the team's Gemini 2.5 Pro contract starts: a committed-use
discount of 20% on the list price. The demo itself never writes to the database; with
``modelmix demo --with-price-change`` and ``MODELMIX_DATABASE_URL`` set, the CLI stores this
override with ``modelmix.pricing.set_price_override`` and then reprices the affected window with
``modelmix.pricing.reprice``. Without a database URL it prints the equivalent ``modelmix prices set``
and ``modelmix reprice`` commands for the operator to run.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from modelmix.demo.schedule import DemoWindow

MODEL = "gemini-2.5-pro"
INPUT_PER_MTOK = Decimal("1.00")  # list: 1.25
OUTPUT_PER_MTOK = Decimal("8.00")  # list: 10.00
CACHE_READ_PER_MTOK = Decimal("0.10")  # list: 0.125
NOTE = "demo: Gemini 2.5 Pro committed-use discount (20% off list)"


@dataclass(frozen=True)
class PriceChangeResult:
    override_id: int | None  # None when an identical override was already stored
    rows_repriced: int
    valid_from: datetime


def change_starts(window: DemoWindow) -> datetime:
    """Midnight UTC nearest the middle of the window."""
    middle = window.start + (window.end - window.start) / 2
    return middle.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=middle.hour >= 12)


def price_change_commands(window: DemoWindow) -> list[str]:
    """The two commands an operator runs to store the change and reprice the history after it."""
    starts = f"{change_starts(window):%Y-%m-%dT%H:%M:%SZ}"
    until = f"{window.end + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"
    return [
        f"modelmix prices set {MODEL} --input {INPUT_PER_MTOK} --output {OUTPUT_PER_MTOK} "
        f"--cache-read {CACHE_READ_PER_MTOK} --from {starts} --note {shlex.quote(NOTE)}",
        f"modelmix reprice --since {starts} --until {until}",
    ]


def apply_price_change(database_url: str, window: DemoWindow) -> PriceChangeResult:
    """Store the override (unless an identical one exists) and reprice the window after it starts."""
    from modelmix.db.engine import make_engine
    from modelmix.pricing import PriceBook, PriceOverride, load_overrides, reprice, set_price_override

    valid_from = change_starts(window)
    override = PriceOverride(model=MODEL, input_per_mtok=INPUT_PER_MTOK, output_per_mtok=OUTPUT_PER_MTOK,
                             cache_read_per_mtok=CACHE_READ_PER_MTOK, valid_from=valid_from, note=NOTE)
    engine = make_engine(database_url)
    try:
        existing = load_overrides(engine)
        wanted = override.validated()
        override_id = None
        if not any(wanted.same_price(stored) for stored in existing):
            override_id = set_price_override(engine, override)
        result = reprice(engine, PriceBook.load(engine), valid_from, window.end + timedelta(hours=1))
        return PriceChangeResult(override_id, result.rows_changed, valid_from)
    finally:
        engine.dispose()
