"""The calls CSV, written by PostgreSQL: exact text (columns, order, value formats) for hand-made
calls, the same selection as the calls page, literal text filters and the row limit."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from modelmix.analytics import FilterError, Filters, calls_csv, calls_page
from modelmix.analytics.calls import CALL_COLUMNS
from tests.analytics.factory import Seed

DAY = datetime(2026, 11, 3, tzinfo=UTC)
WINDOW = Filters(DAY, DAY + timedelta(days=1))


def _seed(seed: Seed) -> None:
    t = DAY + timedelta(hours=5)

    def call(**values: Any) -> None:  # every row names the same columns (one multi-row insert)
        seed.call(**{"streamed": None, "escalated_from": None, "verification": None, **values})

    call(trace_no=1, start=t + timedelta(microseconds=123456), model="gpt-4o", task="plain", cost="0.0100000000",
              reported_cost="2", duration_ms=1234.5678, streamed=True, span_name='chat "gpt-4o", fast')
    call(trace_no=2, start=t + timedelta(minutes=1), model="gpt-4o-mini", task="100%_done", cost="0.00001",
              environment=None, cache_read_tokens=None, duration_ms=200.0, streamed=False, escalation="inferred",
              escalated_from="gpt-4o-mini", verification="pass", span_name="line one\nline two")
    call(trace_no=3, start=t + timedelta(minutes=2), model="gpt-4o-mini", task="plain", status="error",
              input_tokens=None, output_tokens=None, cost=None, service="batch", environment="", finish_reason=None,
              error_type="RateLimitError")
    # same start as trace 3: ties are ordered by trace id
    call(trace_no=4, start=t + timedelta(minutes=2), model="o3", provider="", task="plain", cost="1.5")
    seed.commit()


HEADER = ",".join(CALL_COLUMNS)
TRACE = {n: n.to_bytes(16, "big").hex() for n in range(1, 5)}
SPAN = {n: n.to_bytes(8, "big").hex() for n in range(1, 5)}
# Written by hand from the seeded values (tests/analytics/factory.py fills the rest: response and
# served model "<model>-2024-01-01", 100 input / 10 output / 0 cache-write / 0 reasoning tokens).
EXPECTED = [
    HEADER,
    f"{TRACE[3]},{SPAN[3]},2026-11-03 05:02:00.000000+00:00,200.0,batch,,plain,llm,chat,openai,gpt-4o-mini,"
    "gpt-4o-mini-2024-01-01,gpt-4o-mini,,0,,,,,,,error,RateLimitError,,,,,,chat gpt-4o-mini",
    f"{TRACE[4]},{SPAN[4]},2026-11-03 05:02:00.000000+00:00,200.0,svc,prod,plain,llm,chat,,o3,o3-2024-01-01,o3,"
    "100,0,0,10,0,1.5,,test,ok,,stop,,,,,chat o3",
    f"{TRACE[2]},{SPAN[2]},2026-11-03 05:01:00.000000+00:00,200.0,svc,,100%_done,llm,chat,openai,gpt-4o-mini,"
    "gpt-4o-mini-2024-01-01,gpt-4o-mini,100,,0,10,0,1e-05,,test,ok,,stop,False,inferred,gpt-4o-mini,pass,"
    '"line one\nline two"',
    f"{TRACE[1]},{SPAN[1]},2026-11-03 05:00:00.123456+00:00,1234.5678,svc,prod,plain,llm,chat,openai,gpt-4o,"
    'gpt-4o-2024-01-01,gpt-4o,100,0,0,10,0,0.01,2.0,test,ok,,stop,True,,,,"chat ""gpt-4o"", fast"',
]


def test_the_csv_text_is_exactly_the_hand_written_one(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    assert calls_csv(engine, WINDOW) == "\n".join(EXPECTED) + "\n"


def test_the_csv_holds_the_same_calls_as_the_page_for_every_filter(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    cases = [
        {}, {"model": "gpt-4o-mini"}, {"model": "gpt-4o-2024-01-01"}, {"status": "error"}, {"status": "ok"},
        {"text_filter": "rate"}, {"text_filter": "100%_"}, {"text_filter": "%"}, {"text_filter": "' OR 1=1 --"},
        {"model": "gpt-4o-mini", "status": "ok", "text_filter": "done"},
    ]
    windows = [WINDOW, Filters(DAY, DAY + timedelta(days=1), services=("svc", "batch"), environments=("", "prod")),
               Filters(DAY, DAY + timedelta(days=1), tasks=("plain",)),
               Filters(DAY + timedelta(hours=5, minutes=1), DAY + timedelta(hours=5, minutes=2))]
    for filters in windows:
        for case in cases:
            rows = list(csv.DictReader(io.StringIO(calls_csv(engine, filters, **case))))  # type: ignore[arg-type]
            page = calls_page(engine, filters, limit=100, **case)  # type: ignore[arg-type]
            assert [(r["trace_id"], r["span_id"]) for r in rows] == list(zip(page["trace_id"], page["span_id"],
                                                                            strict=True)), (filters, case)
    assert [r["task"] for r in csv.DictReader(io.StringIO(calls_csv(engine, WINDOW, text_filter="100%_")))] == [
        "100%_done"]
    services = Filters(DAY, DAY + timedelta(days=1), services=("batch",))
    assert calls_csv(engine, services).splitlines() == [EXPECTED[0], EXPECTED[1]]


def test_the_row_limit_keeps_the_newest_calls(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    assert calls_csv(engine, WINDOW, max_rows=2).splitlines() == EXPECTED[:3]
    empty = Filters(DAY + timedelta(days=2), DAY + timedelta(days=3))
    assert calls_csv(engine, empty) == HEADER + "\n"
    for bad in (0, -1, 1_000_001):
        with pytest.raises(FilterError):
            calls_csv(engine, WINDOW, max_rows=bad)
