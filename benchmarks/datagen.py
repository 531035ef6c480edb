"""Generate months of call history straight into PostgreSQL with binary COPY, then build the rollups.

``generate(url, calls=10_000_000, days=90)`` writes about ``calls`` rows into ``llm_calls`` — task
runs of one to four calls, escalations (explicit and inferred), errors, embeddings, unpriced calls
— spread over ``days`` days that end at the current hour, with a weekly rhythm. Every run's
``task_runs`` row is written alongside, consistent with its calls (the same totals the assembler
would compute). Costs come from ``modelmix.pricing`` (the rate in force, ``cost_of``). Days are
split between worker processes, one COPY transaction per day. Afterwards the rows are vacuumed and
analyzed, and ``modelmix.assembly.recompute_hours`` builds ``call_rollups_hourly`` from them.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import random
import struct
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.json import set_json_dumps

from benchmarks.catalogue import (
    EMBEDDING_MODEL,
    EMBEDDING_SHARE,
    ENVIRONMENTS,
    ERROR_RATE,
    ERROR_TYPES,
    LENGTH_FINISH_RATE,
    MODELS,
    TASKS,
    TOOL_FINISH_RATE,
    Task,
)
from modelmix.db.partitions import create_partition, week_start
from modelmix.db.writes import CALL_COLUMNS
from modelmix.pricing import PriceBook, Rate, cost_of

RUN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("trace_id", "bytea"), ("task", "text"), ("service", "text"), ("environment", "text"),
    ("start_time", "timestamptz"), ("end_time", "timestamptz"), ("calls", "int4"), ("errors", "int4"),
    ("input_tokens", "int8"), ("output_tokens", "int8"), ("cache_read_tokens", "int8"),
    ("cost_usd", "numeric"), ("priced_cost_usd", "numeric"), ("unpriced_calls", "int4"),
    ("first_model", "text"), ("final_model", "text"), ("escalated", "bool"), ("escalation", "text"),
    ("escalated_from_model", "text"), ("escalated_to_model", "text"), ("escalation_cost_usd", "numeric"),
    ("has_error", "bool"), ("verification", "text"),
)
_AFTER = [name for name, _ in CALL_COLUMNS].index("escalated_from") + 1
# The collector's columns plus ``escalation``, which the assembler fills in.
GENERATED_CALL_COLUMNS = (*CALL_COLUMNS[:_AFTER], ("escalation", "text"), *CALL_COLUMNS[_AFTER:])
CALL_INDEX = {name: i for i, (name, _) in enumerate(GENERATED_CALL_COLUMNS)}
_TRACE = struct.Struct(">IIQ")
_SPAN = struct.Struct(">IHH")
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Priced:
    """What pricing needs per model, looked up once: canonical id and the rate in force."""

    canonical: str
    rate: Rate | None


def _pricing() -> dict[str, Priced]:
    book = PriceBook.load(None)
    now = datetime.now(UTC)
    return {key: Priced(book.canonical_model(m.provider, m.response) or m.response,
                        book.rate(m.provider, m.response, now))
            for key, m in MODELS.items()}


def _json_dumps(obj: object) -> str:
    return obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))


class _DayWriter:
    """Builds one day's calls and runs in memory (the generator state is per worker)."""

    def __init__(self, worker: int, seed: int, prices: dict[str, Priced]) -> None:
        self.worker = worker
        self.rng = random.Random(seed)
        self.prices = prices
        self.tasks = list(TASKS)
        self.weights = [t.weight for t in TASKS]
        self.sequence = 0
        self.calls: list[tuple[Any, ...]] = []
        self.runs: list[tuple[Any, ...]] = []

    def day(self, day_start: datetime, day_index: int, call_budget: int) -> None:
        self.calls, self.runs = [], []
        rng = self.rng
        while len(self.calls) < call_budget:
            moment = day_start + timedelta(seconds=rng.random() * SECONDS_PER_DAY)
            if rng.random() < EMBEDDING_SHARE:
                self._embedding_run(moment, day_index)
            else:
                self._task_run(rng.choices(self.tasks, self.weights)[0], moment, day_index)

    def _ids(self, day_index: int) -> bytes:
        self.sequence += 1
        return _TRACE.pack(self.worker + 1, day_index + 1, self.sequence)

    def _tokens(self, typical: int) -> int:
        return max(1, int(self.rng.lognormvariate(0.0, 0.6) * typical))

    def _call(self, trace_id: bytes, n: int, parent: bytes, start: datetime, task: Task, env: str,
              model_key: str, escalation: str | None, escalated_from: str | None,
              verification: str | None, call_kind: str = "llm") -> tuple[tuple[Any, ...], Decimal | None, bool]:
        rng = self.rng
        model = MODELS[model_key]
        priced = self.prices[model_key]
        error = rng.random() < ERROR_RATE
        inp = self._tokens(task.input_tokens)
        cached = int(inp * task.cached_share * rng.random()) if task.cached_share else 0
        out: int | None = 0 if call_kind == "embedding" else self._tokens(task.output_tokens)
        reasoning = int(out * 0.6) if model.reasoning and out else None
        if error:
            out, reasoning = None, None
        cost = None
        if priced.rate is not None and out is not None:
            cost = cost_of(priced.rate, input_tokens=inp, cache_read_tokens=cached or None, cache_write_tokens=None,
                           output_tokens=out, reasoning_tokens=reasoning)
        duration = 200.0 + (out or 0) * 12.0 * rng.random() + inp * 0.05
        end = start + timedelta(milliseconds=duration)
        attributes = (f'{{"gen_ai.request.max_tokens":{max(64, (out or 0) * 2)},'
                      f'"gen_ai.usage.total_tokens":{inp + (out or 0)},'
                      f'"openai.response.service_tier":"default","server.address":"api.{model.provider}.example"}}')
        row = (
            trace_id, _SPAN.pack(self.sequence & 0xFFFFFFFF, n, self.worker), start, parent, end, duration,
            task.service, env, call_kind, "embeddings" if call_kind == "embedding" else "chat", model.provider,
            model.request, model.response, model.response, priced.canonical, inp, cached or None, None,
            out, reasoning, cost, None, "genai-prices 0.2.3" if cost is not None else None, None,
            "error" if error else "ok", rng.choice(ERROR_TYPES) if error else None,
            None if error else self._finish(task), rng.random() < 0.3,
            f"resp-{self.sequence:x}-{n}", task.name, "call_attribute", f"session-{rng.randrange(50_000)}",
            f"user-{rng.randrange(20_000)}", None, escalated_from, escalation, verification,
            "opentelemetry.instrumentation.genai", f"chat {model.request}", attributes,
        )
        return row, cost, error

    def _finish(self, task: Task) -> str:
        draw = self.rng.random()
        if task.tools and draw < TOOL_FINISH_RATE:
            return "tool_calls"
        return "length" if draw > 1.0 - LENGTH_FINISH_RATE else "stop"

    def _task_run(self, task: Task, start: datetime, day_index: int) -> None:
        rng = self.rng
        trace_id = self._ids(day_index)
        env = ENVIRONMENTS[0][0] if rng.random() < ENVIRONMENTS[0][1] else ENVIRONMENTS[1][0]
        parent = _SPAN.pack(self.sequence & 0xFFFFFFFF, 0, self.worker)
        count = rng.choice(task.calls_per_run)
        legacy = task.legacy_model is not None and rng.random() < task.legacy_share
        model = task.legacy_model if legacy else task.model
        escalate = not legacy and task.escalate_to is not None and rng.random() < task.escalation_rate
        kind = ("explicit" if rng.random() < 0.5 else "inferred") if escalate else None
        plan = [model] * count + ([task.escalate_to] if escalate else [])
        moment = start
        rows: list[tuple[tuple[Any, ...], Decimal | None, bool]] = []
        for n, model_key in enumerate(plan, start=1):
            last = n == len(plan)
            escalated_call = escalate and last
            verification = ("pass" if last else "fail") if escalate else None
            assert model_key is not None
            rows.append(self._call(trace_id, n, parent, moment, task, env, model_key,
                                   kind if escalated_call else None,
                                   MODELS[task.model].request if escalated_call and kind == "explicit" else None,
                                   verification))
            moment = rows[-1][0][CALL_INDEX["end_time"]] + timedelta(milliseconds=5)
        self.calls.extend(r[0] for r in rows)
        self._run_row(trace_id, task, env, rows, kind, plan)

    def _embedding_run(self, start: datetime, day_index: int) -> None:
        task = self.rng.choice(TASKS[:8])
        trace_id = self._ids(day_index)
        parent = _SPAN.pack(self.sequence & 0xFFFFFFFF, 0, self.worker)
        row = self._call(trace_id, 1, parent, start, task, "prod", EMBEDDING_MODEL, None, None, None, "embedding")
        self.calls.append(row[0])
        self._run_row(trace_id, task, "prod", [row], None, [])

    def _run_row(self, trace_id: bytes, task: Task, env: str, rows: list[tuple[tuple[Any, ...], Decimal | None, bool]],
                 escalation: str | None, plan: list[str | None]) -> None:
        i = CALL_INDEX
        calls = [r[0] for r in rows]
        costs = [r[1] for r in rows]
        known = [c for c in costs if c is not None]
        unpriced = len(costs) - len(known)
        priced_total = sum(known, Decimal(0)) if known else None
        inputs = [c[i["input_tokens"]] for c in calls if c[i["input_tokens"]] is not None]
        outputs = [c[i["output_tokens"]] for c in calls if c[i["output_tokens"]] is not None]
        cached = [c[i["cache_read_tokens"]] for c in calls if c[i["cache_read_tokens"]] is not None]
        errors = sum(1 for r in rows if r[2])
        names = [self.prices[m].canonical for m in plan if m is not None]
        escalation_cost = None
        if escalation is not None and costs[-1] is not None and costs[-2] is not None:
            escalation_cost = costs[-1] + costs[-2]
        self.runs.append((
            trace_id, task.name, task.service, env, calls[0][i["start_time"]], calls[-1][i["end_time"]],
            len(calls), errors, sum(inputs) if inputs else None, sum(outputs) if outputs else None,
            sum(cached) if cached else None, priced_total if unpriced == 0 else None, priced_total, unpriced,
            names[0] if names else None, names[-1] if names else None, escalation is not None, escalation,
            names[-2] if escalation else None, names[-1] if escalation else None, escalation_cost,
            errors > 0, "pass" if escalation else None,
        ))


def _copy(cur: psycopg.Cursor[Any], table: str, columns: tuple[tuple[str, str], ...], rows: list[tuple[Any, ...]]
          ) -> None:
    names = ", ".join(f'"{name}"' for name, _ in columns)
    with cur.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([t for _, t in columns])
        for row in rows:
            copy.write_row(row)


def _worker(url: str, worker: int, days: list[tuple[int, str, int]], seed: int, results: Any) -> None:
    writer = _DayWriter(worker, seed, _pricing())
    written = 0
    with psycopg.connect(url, autocommit=True) as conn:
        set_json_dumps(_json_dumps, conn)
        for day_index, day_start, budget in days:
            writer.day(datetime.fromisoformat(day_start), day_index, budget)
            with conn.transaction(), conn.cursor() as cur:
                _copy(cur, "llm_calls", GENERATED_CALL_COLUMNS, writer.calls)
                _copy(cur, "task_runs", RUN_COLUMNS, writer.runs)
            written += len(writer.calls)
    results.put((worker, written))


def day_budgets(total_calls: int, days: int, end: datetime) -> list[tuple[int, str, int]]:
    """(day index, day start, calls) for ``days`` days ending at ``end``; weekends carry 60% of a weekday."""
    starts = [end - timedelta(days=days - d) for d in range(days)]
    weights = [0.6 if s.weekday() >= 5 else 1.0 for s in starts]
    scale = total_calls / sum(weights)
    return [(d, s.isoformat(), max(1, round(w * scale))) for d, (s, w) in enumerate(zip(starts, weights, strict=True))]


def _wait(processes: list[Any], results: Any) -> int:
    """Rows written by all workers; raises as soon as one of them dies without reporting."""
    written = 0
    reported = 0
    while reported < len(processes):
        try:
            written += results.get(timeout=2.0)[1]
            reported += 1
        except Exception:  # queue.Empty: has a worker failed?
            failed = [p for p in processes if p.exitcode not in (None, 0)]
            if failed:
                for process in processes:
                    process.terminate()
                raise RuntimeError(f"a data generator process failed (exit code {failed[0].exitcode})") from None
    for process in processes:
        process.join()
    return written


@dataclass(frozen=True)
class Generated:
    calls: int
    task_runs: int
    rollup_rows: int
    since: datetime
    until: datetime
    copy_seconds: float
    vacuum_seconds: float
    rollup_seconds: float


ROLLUP_TABLES = ("call_rollups_hourly", "task_run_rollups_hourly", "task_run_cost_days",
                 "call_reprice_rollups_hourly", "call_model_names_hourly")


def generate(url: str, *, calls: int, days: int, workers: int = 2, seed: int = 20261128) -> Generated:
    """Fill the (migrated, empty) database at ``url`` with ``calls`` calls over ``days`` days."""
    from modelmix.assembly import recompute_hours
    from modelmix.db.engine import make_engine, sqlalchemy_url

    until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    since = until - timedelta(days=days)
    budgets = day_budgets(calls, days, until)
    engine = make_engine(sqlalchemy_url(url))
    try:
        with engine.begin() as conn:
            monday = week_start(since)
            while monday <= week_start(until):
                for table in ("llm_calls", "span_skeletons"):
                    create_partition(conn, table, monday)
                monday += timedelta(days=7)
        started = time.perf_counter()
        context = mp.get_context("spawn")
        results = context.Queue()
        processes = [context.Process(target=_worker, args=(url, w, budgets[w::workers], seed + w, results))
                     for w in range(workers)]
        for process in processes:
            process.start()
        written = _wait(processes, results)
        copy_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE) llm_calls")
            conn.execute("VACUUM (ANALYZE) task_runs")
        vacuum_seconds = time.perf_counter() - started
        started = time.perf_counter()
        rollup_rows = recompute_hours(engine, since, until)
        with psycopg.connect(url, autocommit=True) as conn:
            for table in ROLLUP_TABLES:
                conn.execute(f"VACUUM (ANALYZE) {table}")
            runs_row = conn.execute("SELECT count(*) FROM task_runs").fetchone()
        rollup_seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return Generated(calls=written, task_runs=int(runs_row[0]) if runs_row else 0, rollup_rows=rollup_rows,
                     since=since, until=until, copy_seconds=copy_seconds, vacuum_seconds=vacuum_seconds,
                     rollup_seconds=rollup_seconds)
