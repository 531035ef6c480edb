"""Repricing stored calls after an override changes: exactly the affected rows, idempotently."""

from __future__ import annotations

import sys
import types
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from modelmix.db.models import CallRollupRow
from modelmix.pricing import (
    DEFAULT_SOURCE,
    PriceBook,
    PriceOverride,
    RepriceProgress,
    reprice,
    set_price_override,
)

from .helpers import at, insert_row, stored_rows

M = Decimal(1_000_000)
T = at("2026-11-15T00:00")
LIST_GPT4O = (1000 * Decimal("2.50") + 100 * Decimal(10)) / M  # OpenAI list price, 1000 in / 100 out
LIST_SONNET = (1000 * Decimal(3) + 100 * Decimal(15)) / M  # Anthropic list price, 1000 in / 100 out


@pytest.fixture
def recorded_rollups(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, datetime, datetime]]:
    """Stand in for the assembler's rollup module and record what reprice asks it to recompute."""
    calls: list[tuple[Any, datetime, datetime]] = []
    module = types.ModuleType("modelmix.assembly.rollups")
    module.recompute_hours = lambda engine, since, until: calls.append((engine, since, until))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "modelmix.assembly.rollups", module)
    return calls


def seed(engine: Engine) -> dict[str, bytes]:
    def gpt4o(start: datetime, **kw: Any) -> bytes:
        kw.setdefault("cost", LIST_GPT4O)
        kw.setdefault("price_source", DEFAULT_SOURCE)
        return insert_row(engine, provider="openai", model="gpt-4o-2024-08-06", start=start, canonical="gpt-4o", **kw)

    return {
        "before_1": gpt4o(T - timedelta(days=2)),
        "before_2": gpt4o(T - timedelta(days=1)),
        "before_3": gpt4o(T - timedelta(microseconds=1)),
        "after_1": gpt4o(T),
        "after_2": gpt4o(T + timedelta(hours=1, minutes=30)),
        "after_3": gpt4o(T + timedelta(days=2, hours=5)),
        "sonnet": insert_row(engine, provider="anthropic", model="claude-sonnet-4-5", start=T + timedelta(hours=1),
                             canonical="claude-sonnet-4-5", cost=LIST_SONNET, price_source=DEFAULT_SOURCE),
        "unknown_model": insert_row(engine, provider="openai", model="mystery-model", start=T + timedelta(hours=1),
                                    canonical="mystery-model"),
        "unknown_tokens": gpt4o(T + timedelta(hours=2), input_tokens=None, cost=None, price_source=None),
        "outside_window": gpt4o(T + timedelta(days=5)),
    }


def test_reprice_changes_exactly_the_rows_the_new_override_covers(
        engine: Engine, recorded_rollups: list[tuple[Any, datetime, datetime]]) -> None:
    ids = seed(engine)
    before = stored_rows(engine)
    oid = set_price_override(engine, PriceOverride(model="gpt-4o", input_per_mtok=Decimal(5),
                                                   output_per_mtok=Decimal(20), valid_from=T))
    progress: list[RepriceProgress] = []
    result = reprice(engine, PriceBook.load(engine), T - timedelta(days=3), T + timedelta(days=3),
                     progress=progress.append, batch_rows=2)
    after = stored_rows(engine)

    changed = {name for name, span in ids.items() if before[span] != after[span]}
    assert changed == {"after_1", "after_2", "after_3"}
    for name in changed:
        row = after[ids[name]]
        assert row["cost_usd"] == (1000 * Decimal(5) + 100 * Decimal(20)) / M
        assert (row["price_id"], row["price_source"], row["canonical_model"]) == (oid, f"override:{oid}", "gpt-4o")
    assert (result.rows_seen, result.rows_changed, result.unpriced, result.days) == (9, 3, 2, 6)
    assert [p.days_done for p in progress] == [1, 2, 3, 4, 5, 6]
    assert progress[-1].rows_changed == 3
    # Rollups recomputed for the hours the changed rows fall in, and only those.
    assert result.rollups == "recomputed"
    assert [(since, until) for _, since, until in recorded_rollups] == [(T, T + timedelta(days=2, hours=6))]

    again = reprice(engine, PriceBook.load(engine), T - timedelta(days=3), T + timedelta(days=3))
    assert (again.rows_seen, again.rows_changed, again.rollups) == (9, 0, "unchanged")
    assert stored_rows(engine) == after
    assert len(recorded_rollups) == 1


def test_reprice_prices_previously_unpriced_calls_and_respects_the_window(
        engine: Engine, recorded_rollups: list[tuple[Any, datetime, datetime]]) -> None:
    ids = seed(engine)
    before = stored_rows(engine)
    oid = set_price_override(engine, PriceOverride(model="mystery-*", match_kind="pattern",
                                                   input_per_mtok=Decimal("0.5"), output_per_mtok=Decimal(1),
                                                   valid_from=T - timedelta(days=30)))
    result = reprice(engine, PriceBook.load(engine), T + timedelta(hours=1), T + timedelta(hours=1, minutes=1))
    after = stored_rows(engine)
    assert (result.rows_seen, result.rows_changed) == (2, 1)  # the sonnet call and the unknown model
    assert {n for n, s in ids.items() if before[s] != after[s]} == {"unknown_model"}
    row = after[ids["unknown_model"]]
    assert row["cost_usd"] == (1000 * Decimal("0.5") + 100 * Decimal(1)) / M
    assert row["price_id"] == oid


def test_reprice_without_the_assembler_says_rollups_were_not_recomputed(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "modelmix.assembly.rollups", None)  # import fails
    insert_row(engine, provider="openai", model="gpt-4o", start=T, cost=Decimal(1))
    result = reprice(engine, PriceBook.load(engine), T, T + timedelta(hours=1))
    assert result.rows_changed == 1
    assert result.rollups.startswith("not recomputed")


def test_reprice_rejects_an_empty_window(engine: Engine) -> None:
    with pytest.raises(ValueError, match="until"):
        reprice(engine, PriceBook.load(engine), T, T)


def test_reprice_brings_the_assemblers_hourly_rollups_up_to_date(engine: Engine) -> None:
    rollups = pytest.importorskip("modelmix.assembly.rollups")
    hour = T + timedelta(hours=3)
    for minute in (5, 40):
        insert_row(engine, provider="openai", model="gpt-4o", start=hour + timedelta(minutes=minute),
                   canonical="gpt-4o", cost=LIST_GPT4O, price_source=DEFAULT_SOURCE, task="summarize",
                   task_source="call_attribute")
    rollups.recompute_hours(engine, hour, hour + timedelta(hours=1))
    assert rollup_cost(engine) == 2 * LIST_GPT4O
    set_price_override(engine, PriceOverride(model="gpt-4o", input_per_mtok=Decimal(1),
                                             output_per_mtok=Decimal(2), valid_from=T))
    result = reprice(engine, PriceBook.load(engine), T, T + timedelta(days=1))
    assert (result.rows_changed, result.rollups) == (2, "recomputed")
    assert rollup_cost(engine) == 2 * (1000 * Decimal(1) + 100 * Decimal(2)) / M


def rollup_cost(engine: Engine) -> Decimal:
    with engine.connect() as conn:
        return Decimal(conn.execute(select(func.sum(CallRollupRow.cost_usd))).scalar_one() or 0)


def test_reprice_over_decades_reads_only_the_days_that_hold_calls(engine: Engine) -> None:
    ids = seed(engine)
    seen_days: list[datetime] = []
    result = reprice(engine, PriceBook.load(engine), at("1990-01-01T00:00"), at("2040-01-01T00:00"),
                     progress=lambda p: seen_days.append(p.day), recompute_rollups=False)
    assert result.rows_seen == len(ids)  # every seeded call, wherever it lies
    assert result.days == len(seen_days) == (at("2040-01-01T00:00") - at("1990-01-01T00:00")).days
