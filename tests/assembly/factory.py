"""Build llm_calls / span_skeletons rows for assembler tests and store them like the collector does.

``TraceBuilder`` hands out span ids and keeps rows; ``store`` inserts them with SQLAlchemy Core
(``ON CONFLICT DO NOTHING``, as the collector's writer) into the weekly partitions and upserts
``trace_activity`` (earliest start, ``last_seen_at = now()``, ``assembled_at = NULL``).
"""

from __future__ import annotations

import importlib.util
import itertools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from sqlalchemy import Engine, Table, text
from sqlalchemy.dialects.postgresql import insert

from modelmix.assembly import ModelRanking
from modelmix.db.models import LlmCallRow, SpanSkeletonRow
from modelmix.db.partitions import create_partition, week_start

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday

# Prices and tiers for the tests, written out here (blended USD per 1M tokens).
PRICES = {"gpt-4o-mini": Decimal("0.2625"), "gpt-4o": Decimal("4.375"), "claude-sonnet-4-5": Decimal("6")}
TIERS = {"gpt-4o-mini": "small", "gpt-4o": "mid", "claude-sonnet-4-5": "frontier"}
RANKING = ModelRanking(price_rank=PRICES.get, tier_of=TIERS.get)

_trace_numbers = itertools.count(1)


def new_trace_id() -> bytes:
    return next(_trace_numbers).to_bytes(16, "big")


@dataclass
class TraceBuilder:
    """Rows of one trace. Times are seconds after ``start``."""

    start: datetime = T0
    service: str = "svc"
    environment: str | None = "prod"
    trace_id: bytes = field(default_factory=new_trace_id)
    calls: list[dict[str, Any]] = field(default_factory=list)
    skeletons: list[dict[str, Any]] = field(default_factory=list)
    _span_numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _new_span_id(self) -> bytes:
        return next(self._span_numbers).to_bytes(8, "big")

    def span(self, name: str, parent: bytes | None = None, *, at: float = 0.0, duration: float = 1.0,
             task: str | None = None, workflow: str | None = None, trace_name: str | None = None,
             escalated_from: str | None = None, verification: str | None = None,
             span_id: bytes | None = None) -> bytes:
        span_id = span_id or self._new_span_id()
        begin = self.start + timedelta(seconds=at)
        self.skeletons.append({
            "trace_id": self.trace_id, "span_id": span_id, "start_time": begin,
            "parent_span_id": parent, "end_time": begin + timedelta(seconds=duration), "name": name,
            "service": self.service, "environment": self.environment, "kind": 1, "status": "ok",
            "task": task, "workflow_name": workflow, "trace_name": trace_name, "agent_name": None,
            "escalated_from": escalated_from, "verification": verification, "span_kind_hint": None,
        })
        return span_id

    def call(self, parent: bytes | None = None, *, model: str | None = "gpt-4o-mini",
             canonical: str | None | bool = True, provider: str | None = "openai", at: float = 0.1,
             duration: float = 0.5, input_tokens: int | None = 100, output_tokens: int | None = 10,
             cache_read_tokens: int | None = None, cost: Decimal | None = Decimal("0.001"),
             status: str = "ok", task: str | None = None, escalated_from: str | None = None,
             verification: str | None = None, kind: str = "llm",
             attributes: dict[str, Any] | None = None, service: str | None = None) -> bytes:
        span_id = self._new_span_id()
        begin = self.start + timedelta(seconds=at)
        self.calls.append({
            "trace_id": self.trace_id, "span_id": span_id, "start_time": begin, "parent_span_id": parent,
            "end_time": begin + timedelta(seconds=duration), "duration_ms": duration * 1000.0,
            "service": service or self.service, "environment": self.environment, "call_kind": kind,
            "operation": "chat" if kind == "llm" else "embeddings", "provider": provider,
            "request_model": model, "response_model": model, "model": model,
            "canonical_model": model if canonical is True else (canonical or None),
            "input_tokens": input_tokens, "cache_read_tokens": cache_read_tokens,
            "cache_write_tokens": None, "output_tokens": output_tokens, "reasoning_tokens": None,
            "cost_usd": cost, "status": status, "error_type": "timeout" if status == "error" else None,
            "task": task, "task_source": "span" if task else None, "escalated_from": escalated_from,
            "verification": verification, "attributes": attributes,
        })
        return span_id


def _ensure_partitions(engine: Engine, moments: Iterable[datetime]) -> None:
    with engine.begin() as conn:
        for monday in {week_start(m) for m in moments}:
            for table in ("llm_calls", "span_skeletons"):
                create_partition(conn, table, monday)


def store(engine: Engine, *traces: TraceBuilder, skip: Iterable[bytes] = ()) -> None:
    """Insert the traces' rows (except span ids in ``skip``) and mark the traces as just seen."""
    skipped = set(skip)
    calls = [r for t in traces for r in t.calls if r["span_id"] not in skipped]
    skeletons = [r for t in traces for r in t.skeletons if r["span_id"] not in skipped]
    _ensure_partitions(engine, [r["start_time"] for r in calls + skeletons])
    with engine.begin() as conn:
        if calls:
            conn.execute(insert(cast(Table, LlmCallRow.__table__)).on_conflict_do_nothing(), calls)
        if skeletons:
            conn.execute(insert(cast(Table, SpanSkeletonRow.__table__)).on_conflict_do_nothing(), skeletons)
        first: dict[bytes, datetime] = {}
        for row in calls + skeletons:
            tid = row["trace_id"]
            first[tid] = min(first.get(tid, row["start_time"]), row["start_time"])
        for tid, start in sorted(first.items()):
            conn.execute(text(
                "INSERT INTO trace_activity (trace_id, first_start_time, last_seen_at, assembled_at) "
                "VALUES (:t, :s, now(), NULL) ON CONFLICT (trace_id) DO UPDATE SET "
                "first_start_time = LEAST(trace_activity.first_start_time, EXCLUDED.first_start_time), "
                "last_seen_at = EXCLUDED.last_seen_at, assembled_at = NULL"
            ), {"t": tid, "s": start})


def call_row(engine: Engine, trace: TraceBuilder, span_id: bytes) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT * FROM llm_calls WHERE trace_id = :t AND span_id = :s"),
            {"t": trace.trace_id, "s": span_id},
        ).mappings().one()
        return dict(row)


def runs_of(engine: Engine, trace: TraceBuilder) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM task_runs WHERE trace_id = :t"), {"t": trace.trace_id}
        ).mappings().all()
        return {row["task"]: dict(row) for row in rows}


def table_snapshot(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


MIGRATIONS_DIR = Path(__file__).parents[2] / "migrations" / "versions"


def load_migration(filename: str) -> ModuleType:
    """A migration file as a module, to run its written-out fill statements in a test."""
    spec = importlib.util.spec_from_file_location(f"migration_{Path(filename).stem}", MIGRATIONS_DIR / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SHAPES = ("single", "pipeline", "explicit", "inferred", "embedding")


def add_shaped_calls(t: TraceBuilder, root: bytes, shape: str, call: Callable[..., None],
                     rng: random.Random) -> list[bool]:
    """Add one run of a known shape under ``root`` through ``call(parent, model, at, kind=...)``;
    return, per added call, whether the assembler must mark it escalated."""
    if shape == "single":
        call(root, rng.choice(["gpt-4o-mini", "gpt-4o"]), 0.1)
        return [False]
    if shape == "pipeline":  # two steps on two models: not an escalation
        call(t.span("classify", root, at=0.05), "gpt-4o-mini", 0.1)
        call(t.span("write", root, at=0.5), "gpt-4o", 0.6)
        return [False, False]
    if shape == "explicit":
        call(root, "gpt-4o-mini", 0.1)
        call(t.span("escalate", root, at=0.5, escalated_from="gpt-4o-mini"), "gpt-4o", 0.6)
        return [False, True]
    if shape == "inferred":
        call(root, "gpt-4o-mini", 0.1)
        call(root, "gpt-4o", 0.6)
        return [False, True]
    if shape == "embedding":
        call(root, "text-embedding-3-small", 0.1, kind="embedding")
        return [False]
    raise ValueError(f"unknown shape {shape!r}; choose from {SHAPES}")
