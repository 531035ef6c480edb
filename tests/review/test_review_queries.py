"""``price_changes``: the overrides whose valid_from falls inside a window, with the price they replaced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from modelmix.analytics.review_queries import price_changes
from modelmix.pricing import MATCH_PATTERN, PriceBook, PriceOverride, set_price_override

SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = SINCE + timedelta(days=7)


def _price(engine: Engine, model: str, valid_from: datetime, i: str, o: str, **kw: object) -> int:
    return set_price_override(engine, PriceOverride(model=model, input_per_mtok=Decimal(i), output_per_mtok=Decimal(o),
                                                    valid_from=valid_from, **kw))  # type: ignore[arg-type]


def test_only_changes_starting_inside_the_half_open_window(engine: Engine) -> None:
    _price(engine, "gpt-4o", datetime(2026, 1, 1, tzinfo=UTC), "2.50", "10.00")
    at_start = _price(engine, "gpt-4o", SINCE, "2.00", "8.00", provider="openai")
    _price(engine, "gpt-4o", UNTIL, "1.00", "4.00")  # starts exactly at the end: next week's change
    _price(engine, "gpt-4o", SINCE - timedelta(microseconds=1), "3.00", "12.00", note="just before")
    pattern = _price(engine, "claude-*", SINCE + timedelta(days=3), "1.00", "5.00", match_kind=MATCH_PATTERN)
    changes = price_changes(engine, SINCE, UNTIL, PriceBook.load(engine))
    assert [c.price_id for c in changes] == [at_start, pattern]
    first, second = changes
    assert (first.model, first.provider, first.input_per_mtok, first.output_per_mtok) == (
        "gpt-4o", "openai", Decimal("2"), Decimal("8"))
    # Just before 2026-11-16 the row starting a microsecond earlier was in force.
    assert (first.previous_input_per_mtok, first.previous_output_per_mtok) == (Decimal("3"), Decimal("12"))
    assert first.previous_source is not None and first.previous_source.startswith("override:")
    assert second.match_kind == "pattern" and second.previous_input_per_mtok is None


def test_previous_price_falls_back_to_the_bundled_default_or_none(engine: Engine) -> None:
    _price(engine, "gpt-4o-mini", SINCE + timedelta(hours=1), "0.10", "0.40")
    _price(engine, "acme-llm", SINCE + timedelta(hours=2), "1.00", "1.00")
    mini, acme = price_changes(engine, SINCE, UNTIL, PriceBook.load(engine))
    assert mini.previous_source is not None and mini.previous_source.startswith("genai-prices")
    assert mini.previous_input_per_mtok == Decimal("0.15") and mini.previous_output_per_mtok == Decimal("0.6")
    assert acme.previous_input_per_mtok is None and acme.previous_source is None


def test_without_a_price_book_there_is_no_previous_price_and_a_bad_window_is_refused(engine: Engine) -> None:
    _price(engine, "gpt-4o", SINCE, "2.00", "8.00")
    (change,) = price_changes(engine, SINCE, UNTIL)
    assert change.previous_input_per_mtok is None
    with pytest.raises(ValueError, match="must start before it ends"):
        price_changes(engine, UNTIL, SINCE)
    assert price_changes(engine, SINCE - timedelta(days=7), SINCE) == []
