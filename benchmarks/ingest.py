"""Ingest benchmark: sustained end-to-end OTLP spans/s through the real collector, next to binary COPY.

One run: a fresh database; ``python -m modelmix collector`` as its own process; client processes
sending pre-serialized protobuf requests (about 512 spans each, unique trace ids) over persistent
OTLP/HTTP or OTLP/gRPC connections for a warm-up and then ``seconds`` of measurement. A request is
acknowledged only after its spans are committed, so acknowledged spans/s is end to end. Reported:
spans/s, acknowledgement latency p50/p99, the collector's own CPU (its whole process tree) and peak
RSS, its PostgreSQL backends' CPU, the clients' CPU. Then, with the collector stopped, binary COPY
of the same rows into the same tables gives the limit, and the ratio of the two.

Clients, collector and PostgreSQL share the machine's cores; the CPU columns show who used what.
"""

from __future__ import annotations

import os
import secrets
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

import psutil
import psycopg

from benchmarks.collector_process import CollectorProcess, ResourceMonitor, cpu_seconds
from benchmarks.copy_limit import decoded_rows, measure_copy
from benchmarks.environment import bench_database
from benchmarks.loadgen import ClientReport, collect, start_clients
from benchmarks.payloads import Template, build_templates


@dataclass(frozen=True)
class IngestOptions:
    seconds: float = 60.0
    warmup_seconds: float = 8.0
    transports: tuple[str, ...] = ("http", "grpc")
    client_processes: int = 4
    connections_per_client: int = 2
    spans_per_request: int = 512
    templates: int = 8
    copy_seconds: float = 20.0
    collector_env: tuple[tuple[str, str], ...] = ()  # extra MODELMIX_* for the collector process
    collector_source: str | None = None  # another checkout's code for the collector (before/after runs)


@dataclass(frozen=True)
class TransportResult:
    transport: str
    seconds: float
    requests: int
    spans: int
    acked_spans_total: int  # every acknowledged span, warm-up included (all of them must be stored)
    spans_per_second: float
    latency_p50_ms: float
    latency_p99_ms: float
    retries: int
    failures: int
    first_failure: str | None
    collector_cpu_cores: float  # CPU seconds per second of the collector's process tree
    collector_cpu_us_per_span: float
    collector_peak_rss_mib: float
    postgres_cpu_cores: float
    postgres_cpu_us_per_span: float
    client_cpu_cores: float
    machine_busy_fraction: float  # all cores, all processes
    rows_stored: int


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def _stored_rows(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT (SELECT count(*) FROM llm_calls) + (SELECT count(*) FROM span_skeletons)"
                           ).fetchone()
    return int(row[0]) if row else 0


def _busy(before: Any, after: Any) -> float:
    idle = (after.idle + getattr(after, "iowait", 0.0)) - (before.idle + getattr(before, "iowait", 0.0))
    total = sum(after) - sum(before)
    return 1.0 - idle / total if total > 0 else 0.0


def run_transport(database_url: str, templates: list[Template], transport: str, options: IngestOptions,
                  run_tag: int) -> TransportResult:
    """Drive one collector process over one transport; measure the window after the warm-up."""
    with CollectorProcess(database_url, extra_env=dict(options.collector_env),
                          source_dir=options.collector_source) as collector:
        target = collector.grpc_target if transport == "grpc" else collector.http_target
        begin = time.monotonic()
        window_start = begin + options.warmup_seconds
        window_end = window_start + options.seconds
        clients, results = start_clients(transport, target, templates, run_tag=run_tag,
                                         processes=options.client_processes,
                                         connections=options.connections_per_client, deadline=window_end)
        with ResourceMonitor(collector) as monitor:
            time.sleep(max(0.0, window_start - time.monotonic()))
            backends = collector.backend_pids()
            client_procs = [psutil.Process(p.pid) for p in clients if p.pid is not None]
            tree = collector.tree()
            cpu0 = (cpu_seconds(tree), cpu_seconds(backends), cpu_seconds(client_procs), psutil.cpu_times())
            time.sleep(max(0.0, window_end - time.monotonic()))
            tree = collector.tree()
            cpu1 = (cpu_seconds(tree), cpu_seconds(backends), cpu_seconds(client_procs), psutil.cpu_times())
            reports = collect(clients, results, timeout=180)
        elapsed = options.seconds
    return _summarize(transport, reports, window_start, window_end, elapsed, cpu0, cpu1,
                      monitor.peak_rss_bytes, _stored_rows(database_url))


def _summarize(transport: str, reports: list[ClientReport], window_start: float, window_end: float,
               elapsed: float, cpu0: tuple[Any, ...], cpu1: tuple[Any, ...], peak_rss: int,
               stored: int) -> TransportResult:
    in_window = [s for r in reports for s in r.samples if window_start <= s[0] <= window_end]
    spans = sum(s[2] for s in in_window)
    latencies = [s[1] * 1000.0 for s in in_window]
    failures = [f for r in reports for f in r.failures]
    collector_cpu = cpu1[0] - cpu0[0]
    postgres_cpu = cpu1[1] - cpu0[1]
    return TransportResult(
        transport=transport, seconds=elapsed, requests=len(in_window), spans=spans,
        acked_spans_total=sum(s[2] for r in reports for s in r.samples),
        spans_per_second=spans / elapsed if elapsed else 0.0,
        latency_p50_ms=_percentile(latencies, 0.5), latency_p99_ms=_percentile(latencies, 0.99),
        retries=sum(r.retries for r in reports), failures=len(failures),
        first_failure=failures[0] if failures else None,
        collector_cpu_cores=collector_cpu / elapsed,
        collector_cpu_us_per_span=collector_cpu / spans * 1e6 if spans else float("nan"),
        collector_peak_rss_mib=peak_rss / 2**20,
        postgres_cpu_cores=postgres_cpu / elapsed,
        postgres_cpu_us_per_span=postgres_cpu / spans * 1e6 if spans else float("nan"),
        client_cpu_cores=(cpu1[2] - cpu0[2]) / elapsed,
        machine_busy_fraction=_busy(cpu0[3], cpu1[3]),
        rows_stored=stored,
    )


def _copy_limit(server_url: str, templates: list[Template], run_tag: int, seconds: float) -> dict[str, Any]:
    with bench_database(server_url, "copy") as url:
        calls, skeletons = decoded_rows(url, templates, run_tag)
        copy = measure_copy(url, calls, skeletons, run_tag=run_tag, seconds=seconds)
    return {"rows": copy.rows, "seconds": copy.seconds, "rows_per_second": copy.rows_per_second,
            "backend_cpu_us_per_row": copy.backend_cpu_seconds / copy.rows * 1e6 if copy.rows else None}


def run_ingest(server_url: str, options: IngestOptions) -> dict[str, Any]:
    """The whole ingest benchmark; returns a JSON-ready dict (see ``metrics`` for the headline figures).

    The COPY limit is measured before and after the collector runs, and the ratio uses the higher of
    the two: on a shared machine the load changes during a run, and the limit is what the machine
    can do at its best.
    """
    templates = build_templates(options.spans_per_request, options.templates)
    run_tag = secrets.randbelow(0xFFFE) + 1
    copies = [_copy_limit(server_url, templates, run_tag, options.copy_seconds)]
    transports: dict[str, Any] = {}
    for transport in options.transports:
        with bench_database(server_url, f"ingest_{transport}") as url:
            transports[transport] = asdict(run_transport(url, templates, transport, options, run_tag))
    copies.append(_copy_limit(server_url, templates, run_tag, options.copy_seconds))
    best = max(copies, key=lambda c: c["rows_per_second"])
    copy_rate = best["rows_per_second"]
    for result in transports.values():
        result["ratio_to_copy"] = result["spans_per_second"] / copy_rate if copy_rate else float("nan")
    return {
        "options": {k: v for k, v in asdict(options).items() if k != "collector_env"}
        | {"collector_env": dict(options.collector_env)},
        "spans_per_request": statistics.mean(t.spans for t in templates),
        "request_bytes": statistics.mean(len(t.body) for t in templates),
        "transports": transports,
        "copy": {**best, "rows_per_second_before": copies[0]["rows_per_second"],
                 "rows_per_second_after": copies[1]["rows_per_second"]},
        "load_average_after": round(os.getloadavg()[0], 2),
    }


def metrics(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Headline figures for ``benchmarks.compare``: value, unit, and which direction is better."""
    out: dict[str, dict[str, Any]] = {
        "ingest.copy_rows_per_s": {"value": result["copy"]["rows_per_second"], "unit": "rows/s",
                                   "better": "higher"},
    }
    for name, t in result["transports"].items():
        out[f"ingest.{name}.spans_per_s"] = {"value": t["spans_per_second"], "unit": "spans/s", "better": "higher"}
        out[f"ingest.{name}.ratio_to_copy"] = {"value": t["ratio_to_copy"], "unit": "ratio", "better": "higher"}
        out[f"ingest.{name}.ack_p99_ms"] = {"value": t["latency_p99_ms"], "unit": "ms", "better": "lower"}
        out[f"ingest.{name}.collector_us_per_span"] = {"value": t["collector_cpu_us_per_span"],
                                                      "unit": "us CPU", "better": "lower"}
    return out
