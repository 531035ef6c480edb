"""The hardware limit ingest is measured against: psycopg binary COPY of the same rows into the same tables.

The benchmark's request templates are decoded and priced once with the collector's own code (not
timed); their rows are then binary-COPYed straight into ``llm_calls`` and ``span_skeletons`` in
batches of ``batch_rows`` (one transaction each, like the collector's batches), every batch with
fresh trace ids so no row conflicts. Only the COPY and its commit are timed; building the row tuples
is not, so the figure is what PostgreSQL and psycopg's binary encoder can take from one connection.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from benchmarks.collector_process import cpu_seconds
from benchmarks.payloads import Template
from modelmix.conventions import decode_traces
from modelmix.db.engine import make_engine, sqlalchemy_url
from modelmix.db.writes import (
    CALL_COLUMNS,
    CALLS_TABLE,
    SKELETON_COLUMNS,
    SKELETONS_TABLE,
    call_row,
    copy_rows,
    prepare_session,
    skeleton_row,
)
from modelmix.pricing import PriceBook

_COPY_CLIENT = 0xFFFF  # the client number in trace ids the COPY baseline makes (load clients count from 1)
_ID = struct.Struct(">HHIQ")


@dataclass(frozen=True)
class CopyResult:
    rows: int
    seconds: float  # time spent in COPY and commit
    backend_cpu_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def decoded_rows(database_url: str, templates: list[Template], run_tag: int
                 ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows the collector would write for one pass over the templates (decoded and priced)."""
    engine = make_engine(sqlalchemy_url(database_url))
    try:
        book = PriceBook.load(engine)
    finally:
        engine.dispose()
    calls: list[tuple[Any, ...]] = []
    skeletons: list[tuple[Any, ...]] = []
    for index, template in enumerate(templates):
        request = ExportTraceServiceRequest.FromString(template.render(run_tag, _COPY_CLIENT, index))
        decoded = decode_traces(request)
        calls.extend(call_row(book.price(c)) for c in decoded.calls)
        skeletons.extend(skeleton_row(s) for s in decoded.skeletons)
    return calls, skeletons


def _batch(rows: list[tuple[Any, ...]], trace_slots: dict[bytes, int], start: int, count: int,
           run_tag: int, batch: int) -> list[tuple[Any, ...]]:
    """``count`` rows from ``start`` on (wrapping), each trace renamed to an id unique to this batch."""
    if not rows or count <= 0:
        return []
    ids: dict[int, bytes] = {}
    out: list[tuple[Any, ...]] = []
    laps = len(trace_slots)
    for n in range(count):
        lap, index = divmod(start + n, len(rows))
        row = rows[index]
        slot = lap * laps + trace_slots[row[0]]
        trace_id = ids.get(slot)
        if trace_id is None:
            trace_id = ids[slot] = _ID.pack(run_tag, _COPY_CLIENT, batch, slot + 1)
        out.append((trace_id, *row[1:]))
    return out


def measure_copy(database_url: str, calls: list[tuple[Any, ...]], skeletons: list[tuple[Any, ...]], *,
                 run_tag: int, seconds: float, batch_rows: int = 5000) -> CopyResult:
    """Binary-COPY batches of these rows (fresh trace ids each batch) for about ``seconds`` of COPY time."""
    slots: dict[bytes, int] = {}
    for row in (*calls, *skeletons):
        slots.setdefault(row[0], len(slots))
    share = len(calls) / max(1, len(calls) + len(skeletons))
    per_batch_calls = max(1, round(batch_rows * share))
    per_batch_skeletons = max(0, batch_rows - per_batch_calls)
    timed = 0.0
    rows = 0
    batch = 1_000_000  # trace-id sequence numbers far from those of the decode pass
    with psycopg.connect(database_url, autocommit=True) as conn:
        prepare_session(conn)
        backend = conn.info.backend_pid
        cpu_before = cpu_seconds([backend])
        while timed < seconds:
            start_c = (batch * per_batch_calls) % max(1, len(calls))
            start_s = (batch * per_batch_skeletons) % max(1, len(skeletons))
            call_batch = _batch(calls, slots, start_c, per_batch_calls, run_tag, batch)
            skeleton_batch = _batch(skeletons, slots, start_s, per_batch_skeletons, run_tag, batch)
            batch += 1
            started = time.perf_counter()
            with conn.transaction(), conn.cursor() as cur:
                copy_rows(cur, CALLS_TABLE, CALL_COLUMNS, call_batch)
                copy_rows(cur, SKELETONS_TABLE, SKELETON_COLUMNS, skeleton_batch)
            timed += time.perf_counter() - started
            rows += len(call_batch) + len(skeleton_batch)
        backend_cpu = cpu_seconds([backend]) - cpu_before
    return CopyResult(rows=rows, seconds=timed, backend_cpu_seconds=backend_cpu)
