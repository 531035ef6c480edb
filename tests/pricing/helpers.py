"""Builders shared by the pricing tests: LlmCalls and llm_calls rows inserted with SQLAlchemy Core."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select

from modelmix.db.models import LlmCallRow
from modelmix.db.partitions import create_partition, week_start
from modelmix.records import LlmCall

_ids = itertools.count(1)


def at(text: str) -> datetime:
    """A UTC moment from 'YYYY-MM-DDTHH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_call(provider: str | None, model: str | None, *, start: datetime | None = None,
              input_tokens: int | None = 1000, output_tokens: int | None = 100,
              cache_read: int | None = None, cache_write: int | None = None,
              reasoning: int | None = None, call_kind: str = "llm") -> LlmCall:
    n = next(_ids)
    return LlmCall(
        trace_id=n.to_bytes(16, "big"), span_id=n.to_bytes(8, "big"), parent_span_id=None,
        start_time=start or at("2026-11-20T12:00"), end_time=None, service="svc", call_kind=call_kind,
        provider=provider, response_model=model, input_tokens=input_tokens, output_tokens=output_tokens,
        cache_read_tokens=cache_read, cache_write_tokens=cache_write, reasoning_tokens=reasoning,
    )


def insert_row(engine: Engine, *, provider: str | None, model: str | None, start: datetime,
               input_tokens: int | None = 1000, output_tokens: int | None = 100,
               cache_read: int | None = None, cache_write: int | None = None, reasoning: int | None = None,
               cost: Decimal | None = None, canonical: str | None = None, price_source: str | None = None,
               price_id: int | None = None, reported: Decimal | None = None, **extra: Any) -> bytes:
    """Insert one llm_calls row (creating its weekly partition); return its span id."""
    n = next(_ids)
    values: dict[str, Any] = dict(
        trace_id=n.to_bytes(16, "big"), span_id=n.to_bytes(8, "big"), start_time=start, service="svc",
        call_kind="llm", status="ok", provider=provider, request_model=model, response_model=model,
        model=model, canonical_model=canonical, input_tokens=input_tokens, output_tokens=output_tokens,
        cache_read_tokens=cache_read, cache_write_tokens=cache_write, reasoning_tokens=reasoning,
        cost_usd=cost, price_source=price_source, price_id=price_id, reported_cost_usd=reported,
    )
    values.update(extra)
    with engine.begin() as conn:
        create_partition(conn, "llm_calls", week_start(start))
        conn.execute(insert(LlmCallRow).values(**values))
    return values["span_id"]


def stored_rows(engine: Engine) -> dict[bytes, dict[str, Any]]:
    """Every llm_calls row by span id, all columns."""
    with engine.connect() as conn:
        rows = conn.execute(select(LlmCallRow.__table__)).mappings().all()
    return {bytes(r["span_id"]): dict(r) for r in rows}
