"""Drill-down pages, CSV, price disagreements, filter choices and filter validation (including garbage)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from modelmix.analytics import (
    FilterError,
    Filters,
    calls_csv,
    calls_page,
    environments,
    price_disagreements,
    services,
    tasks,
)
from tests.analytics.factory import Seed

DAY = datetime(2026, 11, 3, tzinfo=UTC)
WINDOW = Filters(DAY, DAY + timedelta(days=1))


def _seed(seed: Seed) -> None:
    t = DAY + timedelta(hours=5)
    seed.call(trace_no=1, start=t, model="gpt-4o", task="100%_done", cost="0.01", reported_cost="0.0105")
    seed.call(trace_no=2, start=t + timedelta(minutes=1), model="gpt-4o-mini", task="plain", cost="0.001",
              reported_cost="0.0012", environment=None)
    seed.call(trace_no=3, start=t + timedelta(minutes=2), model="gpt-4o-mini", task="plain", status="error",
              input_tokens=None, output_tokens=None, cost=None, service="batch")
    seed.call(trace_no=4, start=t + timedelta(minutes=3), model="gpt-4o", task="plain", cost="0.01",
              reported_cost="0.0101")
    seed.commit()


def test_calls_page_filters_and_pages(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    page = calls_page(engine, WINDOW, limit=2)
    assert len(page) == 2 and list(page["trace_id"]) == [(4).to_bytes(16, "big").hex(), (3).to_bytes(16, "big").hex()]
    assert len(calls_page(engine, WINDOW, limit=2, offset=2)) == 2
    assert list(calls_page(engine, WINDOW, status="error")["service"]) == ["batch"]
    assert len(calls_page(engine, WINDOW, model="gpt-4o")) == 2
    assert len(calls_page(engine, WINDOW, model="gpt-4o-2024-01-01")) == 2  # response model name
    unknown_cost = calls_page(engine, WINDOW, status="error")["cost_usd"]
    assert unknown_cost.isna().all()  # unknown cost is NaN, not 0
    assert not {"attributes"} & set(page.columns)


def test_text_filter_is_literal(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    assert list(calls_page(engine, WINDOW, text_filter="100%_")["task"]) == ["100%_done"]
    assert calls_page(engine, WINDOW, text_filter="%").shape[0] == 1  # only the task containing '%'
    assert calls_page(engine, WINDOW, text_filter="_").shape[0] == 1
    assert calls_page(engine, WINDOW, text_filter="' OR 1=1 --").empty


def test_bad_drill_down_arguments(engine: Engine) -> None:
    with pytest.raises(FilterError):
        calls_page(engine, WINDOW, status="maybe")
    with pytest.raises(FilterError):
        calls_page(engine, WINDOW, limit=100_000)
    with pytest.raises(FilterError):
        calls_page(engine, WINDOW, offset=-1)
    with pytest.raises(FilterError):
        price_disagreements(engine, WINDOW, threshold=-0.1)


def test_calls_csv(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    text = calls_csv(engine, WINDOW, model="gpt-4o")
    lines = text.strip().splitlines()
    assert lines[0].startswith("trace_id,span_id,start_time")
    assert len(lines) == 3


def test_price_disagreements_above_threshold(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    found = price_disagreements(engine, WINDOW, threshold=0.05)
    # 0.0012 vs 0.001 (+20%) and 0.0105 vs 0.01 (+5%, not above 5%) and 0.0101 vs 0.01 (+1%).
    assert list(found["trace_id"]) == [(2).to_bytes(16, "big").hex()]
    assert found.iloc[0]["relative_difference"] == pytest.approx(0.2)
    assert len(price_disagreements(engine, WINDOW, threshold=0.0)) == 3


def test_filter_choices(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    assert services(engine) == ["batch", "svc"]
    assert environments(engine) == ["", "prod"]
    assert tasks(engine) == ["100%_done", "plain"]
    env_unknown = calls_page(engine, Filters(WINDOW.since, WINDOW.until, environments=("",)))
    assert list(env_unknown["task"]) == ["plain"]


def test_filters_validate_windows_and_values() -> None:
    with pytest.raises(FilterError):
        Filters(DAY, DAY)
    with pytest.raises(FilterError):
        Filters(DAY + timedelta(days=1), DAY)
    with pytest.raises(FilterError):
        Filters("2026-11-01", DAY)  # type: ignore[arg-type]
    with pytest.raises(FilterError):
        Filters(DAY, DAY + timedelta(days=1), services=(1,))  # type: ignore[arg-type]
    naive = Filters(datetime(2026, 11, 3), datetime(2026, 11, 4))
    assert naive.since == DAY  # naive datetimes are read as UTC
    offset = Filters(datetime(2026, 11, 3, 2, tzinfo=timezone(timedelta(hours=2))), DAY + timedelta(days=1))
    assert offset.since == DAY
    assert Filters(DAY, DAY + timedelta(days=1), services="api").services == ("api",)
    assert WINDOW.previous() == Filters(DAY - timedelta(days=1), DAY)
