"""Seed llm_calls, task_runs and call_rollups_hourly directly (SQLAlchemy Core) for analytics tests.

``Seed.call`` records a call; ``Seed.run`` records a task run; ``Seed.commit`` writes them, creating
the weekly partitions the calls need, rebuilds the task-run rollups of the seeded runs' hours, and
writes hourly call rollups computed here from the seeded calls
(the same grouping the assembler uses: hour x service x environment x task x call kind x canonical
model x provider x tier x status, unknown dimensions as ''). Tests write their expected numbers by
hand; this module only stores what it is given.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert

from modelmix.assembly.reprice_rollups import SIZE_BOUNDARIES
from modelmix.assembly.run_rollups import rebuild_run_hours
from modelmix.db.models import CallRepriceRollupRow, CallRollupRow, LlmCallRow, TaskRunRow
from modelmix.db.partitions import create_partition, week_start

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC


def trace(n: int) -> bytes:
    return n.to_bytes(16, "big")


def span(n: int) -> bytes:
    return n.to_bytes(8, "big")


@dataclass
class Seed:
    engine: Engine
    calls: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    tiers: dict[str, str] = field(default_factory=dict)
    _span: int = 0

    def call(
        self,
        *,
        trace_no: int,
        start: datetime,
        model: str,
        task: str = "classify",
        service: str = "svc",
        environment: str | None = "prod",
        provider: str = "openai",
        input_tokens: int | None = 100,
        output_tokens: int | None = 10,
        cache_read_tokens: int | None = 0,
        cost: Decimal | str | None = "0.001",
        status: str = "ok",
        call_kind: str = "llm",
        finish_reason: str | None = "stop",
        escalation: str | None = None,
        reported_cost: Decimal | str | None = None,
        span_name: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        self._span += 1
        row = {
            "trace_id": trace(trace_no), "span_id": span(self._span), "parent_span_id": None,
            "start_time": start, "end_time": start + timedelta(milliseconds=200), "duration_ms": 200.0,
            "service": service, "environment": environment, "call_kind": call_kind,
            "operation": "chat" if call_kind == "llm" else "embeddings", "provider": provider,
            "request_model": model, "response_model": f"{model}-2024-01-01", "model": f"{model}-2024-01-01",
            "canonical_model": model, "input_tokens": input_tokens, "cache_read_tokens": cache_read_tokens,
            "cache_write_tokens": 0 if input_tokens is not None else None, "output_tokens": output_tokens,
            "reasoning_tokens": 0 if output_tokens is not None else None,
            "cost_usd": None if cost is None else Decimal(cost),
            "reported_cost_usd": None if reported_cost is None else Decimal(reported_cost),
            "price_source": None if cost is None else "test", "status": status,
            "error_type": "500" if status == "error" else None, "finish_reason": finish_reason,
            "task": task, "task_source": "test", "escalation": escalation,
            "span_name": span_name or f"chat {model}", "attributes": {},
        }
        row.update(extra)
        self.calls.append(row)
        return row

    def run(
        self,
        *,
        trace_no: int,
        start: datetime,
        task: str = "classify",
        service: str = "svc",
        environment: str | None = "prod",
        calls: int = 1,
        errors: int = 0,
        cost: Decimal | str | None = "0.001",
        priced_cost: Decimal | str | None = "__same__",
        unpriced_calls: int = 0,
        first_model: str | None = None,
        final_model: str | None = None,
        escalation: str | None = None,
        escalated_from: str | None = None,
        escalated_to: str | None = None,
        escalation_cost: Decimal | str | None = None,
        verification: str | None = None,
        has_error: bool | None = None,
    ) -> dict[str, Any]:
        priced = cost if priced_cost == "__same__" else priced_cost
        row = {
            "trace_id": trace(trace_no), "task": task, "service": service, "environment": environment,
            "start_time": start, "end_time": start + timedelta(seconds=1), "calls": calls, "errors": errors,
            "input_tokens": 100 * calls, "output_tokens": 10 * calls, "cache_read_tokens": 0,
            "cost_usd": None if cost is None else Decimal(cost),
            "priced_cost_usd": None if priced is None else Decimal(priced),
            "unpriced_calls": unpriced_calls, "first_model": first_model, "final_model": final_model or first_model,
            "escalated": escalation is not None, "escalation": escalation,
            "escalated_from_model": escalated_from, "escalated_to_model": escalated_to,
            "escalation_cost_usd": None if escalation_cost is None else Decimal(escalation_cost),
            "has_error": bool(errors) if has_error is None else has_error, "verification": verification,
        }
        self.runs.append(row)
        return row

    def _rollups(self) -> list[dict[str, Any]]:
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for c in self.calls:
            hour = c["start_time"].astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            model = c["canonical_model"] or ""
            key = (hour, c["service"], c["environment"] or "", c["task"] or "", c["call_kind"], model,
                   c["provider"] or "", self.tiers.get(model, ""), c["status"])
            g = groups.setdefault(key, defaultdict(lambda: None))
            g["calls"] = (g["calls"] or 0) + 1
            for name in ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
                         "reasoning_tokens", "cost_usd"):
                if c[name] is not None:
                    g[name] = (g[name] or 0) + c[name]
            g["calls_missing_tokens"] = (g["calls_missing_tokens"] or 0) + int(
                c["input_tokens"] is None or c["output_tokens"] is None)
            g["unpriced_calls"] = (g["unpriced_calls"] or 0) + int(c["cost_usd"] is None)
            g["escalated_calls"] = (g["escalated_calls"] or 0) + int(c["escalation"] is not None)
            g["duration_ms_sum"] = (g["duration_ms_sum"] or 0.0) + c["duration_ms"]
        names = ("hour", "service", "environment", "task", "call_kind", "canonical_model", "provider", "tier",
                 "status")
        measures = ("calls", "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
                    "reasoning_tokens", "calls_missing_tokens", "cost_usd", "unpriced_calls", "escalated_calls",
                    "duration_ms_sum")
        return [{**dict(zip(names, key, strict=True)), **{m: g[m] for m in measures}}
                for key, g in groups.items()]

    def _reprice_rollups(self) -> list[dict[str, Any]]:
        """``call_reprice_rollups_hourly`` rows of the seeded LLM calls (size band: boundaries exceeded)."""
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for c in self.calls:
            if c["call_kind"] != "llm":
                continue
            hour = c["start_time"].astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            size = c["input_tokens"]
            band = 0 if size is None else sum(1 for b in SIZE_BOUNDARIES if size > b)
            key = (hour, c["service"], c["environment"] or "", c["task"] or "", c["canonical_model"] or "",
                   c["provider"] or "", c["escalation"] is None, band)
            g = groups.setdefault(key, defaultdict(int))
            g["calls"] += 1
            if c["cost_usd"] is None:
                g["unpriced_calls"] += 1
            elif size is None or c["output_tokens"] is None:
                g["no_token_calls"] += 1
                g["no_token_cost_usd"] += c["cost_usd"]
            else:
                g["priceable_calls"] += 1
                g["priceable_cost_usd"] += c["cost_usd"]
                for name in ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
                             "reasoning_tokens"):
                    g[name] += c[name] or 0
        names = ("hour", "service", "environment", "task", "canonical_model", "provider", "first_attempt",
                 "size_band")
        measures = ("calls", "priceable_calls", "priceable_cost_usd", "input_tokens", "cache_read_tokens",
                    "cache_write_tokens", "output_tokens", "reasoning_tokens", "unpriced_calls", "no_token_calls",
                    "no_token_cost_usd")
        return [{**dict(zip(names, key, strict=True)), **{m: g[m] for m in measures}}
                for key, g in groups.items()]

    def commit(self) -> None:
        with self.engine.begin() as conn:
            for monday in sorted({week_start(c["start_time"]) for c in self.calls}):
                create_partition(conn, "llm_calls", monday)
            if self.calls:
                conn.execute(insert(LlmCallRow.__table__), self.calls)
                conn.execute(insert(CallRollupRow.__table__), self._rollups())
                reprice_rows = self._reprice_rollups()
                if reprice_rows:
                    conn.execute(insert(CallRepriceRollupRow.__table__), reprice_rows)
            if self.runs:
                conn.execute(insert(TaskRunRow.__table__), self.runs)
                # the run rollups as the assembler keeps them (their equality with task_runs is
                # tested against an independent aggregation in tests/assembly/test_run_rollups.py)
                hours = [r["start_time"].astimezone(UTC).replace(minute=0, second=0, microsecond=0)
                         for r in self.runs]
                rebuild_run_hours(conn, min(hours), max(hours) + timedelta(hours=1))
        self.calls, self.runs = [], []
