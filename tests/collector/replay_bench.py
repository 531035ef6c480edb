"""Replay benchmark: end-to-end spans/s through a collector process, next to raw binary COPY.

Run by hand (not collected by pytest)::

    MODELMIX_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m tests.collector.replay_bench --copies 40 --clients 8

The fixture traces are pre-serialized as protobuf requests, each copy with fresh trace and span ids
(XOR masks keep parent links intact), and sent by concurrent httpx clients to ``modelmix collector``
running as its own process. Every 200 means the spans were committed, so spans/s is end to end.
The baseline binary-COPYs the same rows (fresh ids) straight into ``llm_calls`` and ``span_skeletons``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import replace

import httpx
import psycopg
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from modelmix.conventions import decode_traces
from modelmix.db import migrate
from modelmix.db.engine import libpq_url, make_engine, sqlalchemy_url
from modelmix.db.partitions import ensure_upcoming
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
from tests.collector.otlp_helpers import FIXTURE_SETS, fixture_files, fixture_request

STARTED = re.compile(r"OTLP/HTTP (http://\S+)/v1/traces")


def _xor(value: bytes, mask: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(value, mask, strict=True)) if value else value


def fresh_copy(request: ExportTraceServiceRequest) -> ExportTraceServiceRequest:
    copy = ExportTraceServiceRequest()
    copy.CopyFrom(request)
    trace_mask, span_mask = os.urandom(16), os.urandom(8)
    for resource in copy.resource_spans:
        for scope in resource.scope_spans:
            for span in scope.spans:
                span.trace_id = _xor(span.trace_id, trace_mask)
                span.span_id = _xor(span.span_id, span_mask)
                span.parent_span_id = _xor(span.parent_span_id, span_mask)
    return copy


def merged(requests: list[ExportTraceServiceRequest], target_spans: int) -> list[ExportTraceServiceRequest]:
    """Regroup requests so each carries about ``target_spans`` spans (as an SDK batch would)."""
    out: list[ExportTraceServiceRequest] = []
    current, size = ExportTraceServiceRequest(), 0
    for request in requests:
        current.resource_spans.extend(request.resource_spans)
        size += sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
        if size >= target_spans:
            out.append(current)
            current, size = ExportTraceServiceRequest(), 0
    if size:
        out.append(current)
    return out


def build_bodies(copies: int, spans_per_request: int) -> tuple[list[bytes], int]:
    base = [fixture_request(p) for name in FIXTURE_SETS for p in fixture_files(name)]
    copied = [fresh_copy(r) for _ in range(copies) for r in base]
    requests = merged(copied, spans_per_request) if spans_per_request else copied
    spans = sum(len(s.spans) for q in requests for r in q.resource_spans for s in r.scope_spans)
    return [q.SerializeToString() for q in requests], spans


async def send_all(base_url: str, bodies: list[bytes], clients: int) -> float:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            while True:
                response = await client.post("/v1/traces", content=body,
                                             headers={"Content-Type": "application/x-protobuf"})
                if response.status_code == 200:
                    break
                if response.status_code not in (429, 503):
                    raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
                await asyncio.sleep(0.05)

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def writer_backend_pid(db_url: str) -> int | None:
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
        row = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'modelmix-collector' "
                           "AND datname = current_database()").fetchone()
    return int(row[0]) if row else None


def start_collector(db_url: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "MODELMIX_DATABASE_URL": db_url, "MODELMIX_OTLP_HTTP_PORT": "0",
           "MODELMIX_OTLP_GRPC_PORT": "0", "PYTHONUNBUFFERED": "1", "MODELMIX_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "modelmix", "collector"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    found: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if (match := STARTED.search(line)) and not found:
                found.append(match.group(1))
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(60):
        process.kill()
        raise RuntimeError("the collector did not start")
    return process, found[0]


def copy_baseline(db_url: str, bodies: list[bytes]) -> tuple[int, float]:
    """Decode once (not timed), then binary-COPY the same rows, fresh ids, straight into the tables."""
    calls, skeletons = [], []
    for body in bodies:
        decoded = decode_traces(ExportTraceServiceRequest.FromString(body))
        calls.extend(decoded.calls)
        skeletons.extend(decoded.skeletons)
    call_rows = [call_row(replace(c, span_id=os.urandom(8))) for c in calls]
    skeleton_rows = [skeleton_row(replace(s, span_id=os.urandom(8))) for s in skeletons]
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
        prepare_session(conn)
        started = time.perf_counter()
        for start in range(0, max(len(call_rows), len(skeleton_rows)), 5000):
            with conn.transaction(), conn.cursor() as cur:
                copy_rows(cur, CALLS_TABLE, CALL_COLUMNS, call_rows[start:start + 5000])
                copy_rows(cur, SKELETONS_TABLE, SKELETON_COLUMNS, skeleton_rows[start:start + 5000])
        return len(call_rows) + len(skeleton_rows), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=40, help="copies of the fixture traces to send")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP requests")
    parser.add_argument("--spans-per-request", type=int, default=512, help="0 keeps the recorded requests")
    args = parser.parse_args()
    server = libpq_url(os.environ.get("MODELMIX_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    name = f"mm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db_url = sqlalchemy_url(server.rsplit("/", 1)[0] + "/" + name)
    try:
        engine = make_engine(db_url)
        migrate.upgrade(engine)
        with engine.begin() as conn:
            from datetime import UTC, datetime
            ensure_upcoming(conn, datetime.now(UTC))
        engine.dispose()
        bodies, spans = build_bodies(args.copies, args.spans_per_request)
        process, base_url = start_collector(db_url)
        try:
            asyncio.run(send_all(base_url, bodies[: max(1, len(bodies) // 20)], args.clients))  # warm-up
            print(f"sending {spans} spans to collector pid {process.pid}", file=sys.stderr, flush=True)
            backend = writer_backend_pid(db_url)
            cpu_before = cpu_seconds(process.pid), cpu_seconds(backend) if backend else 0.0
            elapsed = asyncio.run(send_all(base_url, bodies, args.clients))
            cpu_after = cpu_seconds(process.pid), cpu_seconds(backend) if backend else 0.0
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
        rows, copy_elapsed = copy_baseline(db_url, bodies)
        end_to_end = spans / elapsed
        raw = rows / copy_elapsed
        print(f"end to end: {spans} spans in {len(bodies)} requests, {elapsed:.2f}s -> {end_to_end:,.0f} spans/s "
              f"({args.clients} clients)")
        print(f"raw binary COPY: {rows} rows in {copy_elapsed:.2f}s -> {raw:,.0f} rows/s")
        print(f"end to end / raw COPY: {end_to_end / raw:.0%}")
        collector_us = (cpu_after[0] - cpu_before[0]) / spans * 1e6
        backend_us = (cpu_after[1] - cpu_before[1]) / spans * 1e6
        print(f"CPU per span: collector process {collector_us:.1f} us, its PostgreSQL backend {backend_us:.1f} us "
              f"(load average during the run: {os.getloadavg()[0]:.1f})")
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
