"""Builders for collector tests: normalized records, collector settings, and database reads."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from modelmix.records import LlmCall, SpanSkeleton
from modelmix.settings import Settings

NOW = datetime.now(UTC).replace(microsecond=0)


def new_trace_id() -> bytes:
    return os.urandom(16)


def make_call(**overrides: Any) -> LlmCall:
    start = overrides.pop("start_time", NOW - timedelta(minutes=5))
    values: dict[str, Any] = dict(
        trace_id=new_trace_id(), span_id=os.urandom(8), parent_span_id=None,
        start_time=start, end_time=start + timedelta(milliseconds=750), service="svc-test",
        operation="chat", provider="openai", request_model="gpt-4o-mini",
        response_model="gpt-4o-mini-2024-07-18", input_tokens=120, output_tokens=30,
    )
    values.update(overrides)
    return LlmCall(**values)


def make_skeleton(**overrides: Any) -> SpanSkeleton:
    start = overrides.pop("start_time", NOW - timedelta(minutes=5))
    values: dict[str, Any] = dict(
        trace_id=new_trace_id(), span_id=os.urandom(8), parent_span_id=None, name="classify-ticket",
        start_time=start, end_time=start + timedelta(seconds=1), service="svc-test",
    )
    values.update(overrides)
    return SpanSkeleton(**values)


def collector_settings(**overrides: Any) -> Settings:
    """Settings for a collector under test: loopback, free ports, fast batches."""
    base = Settings(otlp_host="127.0.0.1", otlp_http_port=0, otlp_grpc_port=0, batch_max_delay_ms=5)
    return base.with_overrides(**overrides)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def stored_span_ids(engine: Engine, table: str = "llm_calls") -> list[bytes]:
    with engine.connect() as conn:
        return [bytes(r[0]) for r in conn.execute(text(f"SELECT span_id FROM {table}"))]  # noqa: S608
