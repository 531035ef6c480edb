"""Computed cost against the cost a span reported: the 5 % cross-check query."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from modelmix.pricing import cost_mismatches

from .helpers import at, insert_row

T = at("2026-11-10T08:00")


def test_calls_disagreeing_by_more_than_five_percent_are_listed_largest_first(engine: Engine) -> None:
    def row(cost: str | None, reported: str | None, offset: int = 0) -> bytes:
        return insert_row(engine, provider="openai", model="gpt-4o", start=T + timedelta(minutes=offset),
                          cost=None if cost is None else Decimal(cost),
                          reported=None if reported is None else Decimal(reported))

    row("1.04", "1.00")  # 4 %: agrees
    row("1.05", "1.00")  # exactly 5 %: agrees
    small = row("1.0501", "1.00")  # just over
    big = row("2.00", "1.00")  # 100 %
    zero = row("0.01", "0")  # reported zero, computed non-zero
    row("0", "0")
    row(None, "1.00")  # unpriced: not compared
    row("1.00", None)  # nothing reported: not compared
    row("9.00", "1.00", offset=60 * 24)  # outside the window

    check = cost_mismatches(engine, T, T + timedelta(hours=1))
    assert (check.compared, check.disagreeing) == (6, 3)
    assert [m.span_id for m in check.mismatches] == [big.hex(), small.hex(), zero.hex()]
    assert check.mismatches[0].cost_usd == Decimal("2") and check.mismatches[0].reported_cost_usd == Decimal("1")

    limited = cost_mismatches(engine, T, T + timedelta(hours=1), limit=1)
    assert limited.disagreeing == 3 and len(limited.mismatches) == 1
    loose = cost_mismatches(engine, T, T + timedelta(hours=1), tolerance=Decimal("1.5"))
    assert loose.disagreeing == 1  # only reported-zero exceeds 150 %


def test_negative_tolerance_is_rejected(engine: Engine) -> None:
    with pytest.raises(ValueError, match="tolerance"):
        cost_mismatches(engine, T, T + timedelta(hours=1), tolerance=Decimal("-0.1"))
