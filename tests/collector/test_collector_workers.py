"""``MODELMIX_COLLECTOR_WORKERS``: several collector processes share the OTLP ports (SO_REUSEPORT).

The real ``python -m modelmix collector`` process with two workers, fed by the OpenTelemetry SDK's
own exporters over HTTP and gRPC (a new exporter, so a new connection, per export: the kernel
spreads connections over the workers). Every exported span must be stored once, both workers must
have written, a stop signal must stop the whole group, and a dead worker must bring the group down.
"""

from __future__ import annotations

import os
import signal
import socket
import time

import psutil
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult
from sqlalchemy import Engine, text

from modelmix.settings import Settings, SettingsError
from tests.collector.test_otel_exporters import record_spans
from tests.reliability.processes import CollectorProcess

EXPORTS_PER_TRANSPORT = 12  # new connections per transport: all on one worker by chance is ~1 in 2^11


def _workers(collector: CollectorProcess) -> list[psutil.Process]:
    """The worker processes (multiprocessing also starts a resource tracker, which is not one)."""
    children = psutil.Process(collector.pid).children()
    return [p for p in children if "spawn_main" in " ".join(p.cmdline())]


def _writer_backends(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(DISTINCT client_port) FROM pg_stat_activity "
            "WHERE application_name = 'modelmix-collector' AND datname = current_database()")).scalar_one())


def test_two_workers_store_every_exported_span_once_and_both_take_traffic(db_url: str, engine: Engine) -> None:
    collector = CollectorProcess(db_url, env={"MODELMIX_COLLECTOR_WORKERS": "2"}).start()
    try:
        assert "(2 worker processes)" in collector.output
        assert len(_workers(collector)) == 2
        exported = 0
        for n in range(EXPORTS_PER_TRANSPORT):
            for exporter in (HttpSpanExporter(endpoint=collector.traces_url, timeout=30),
                             GrpcSpanExporter(endpoint=collector.grpc_target, insecure=True, timeout=30)):
                spans = record_spans(f"svc-{n}")
                assert exporter.export(spans) == SpanExportResult.SUCCESS
                exporter.shutdown()
                exported += len(spans)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT (SELECT count(*) FROM llm_calls) + (SELECT count(*) FROM span_skeletons)"
                                       )).scalar_one()
            distinct = conn.execute(text("SELECT count(DISTINCT (trace_id, span_id)) FROM llm_calls")).scalar_one()
            calls = conn.execute(text("SELECT count(*) FROM llm_calls")).scalar_one()
        assert stored == exported  # every acknowledged span is committed, none twice
        assert distinct == calls == 2 * 2 * EXPORTS_PER_TRANSPORT  # two chat calls per recorded run
        assert _writer_backends(engine) == 2  # each worker wrote through its own connection
    finally:
        code = collector.stop()
    assert code == 0, collector.output


def test_a_stop_signal_stops_every_worker(db_url: str) -> None:
    collector = CollectorProcess(db_url, env={"MODELMIX_COLLECTOR_WORKERS": "3"}).start()
    workers = _workers(collector)
    assert len(workers) == 3
    assert collector.stop() == 0, collector.output
    _gone, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []


def test_a_dead_worker_brings_the_group_down_with_an_error(db_url: str) -> None:
    collector = CollectorProcess(db_url, env={"MODELMIX_COLLECTOR_WORKERS": "2"}).start()
    workers = _workers(collector)
    assert len(workers) == 2
    os.kill(workers[0].pid, signal.SIGKILL)
    assert collector.process is not None
    code = collector.process.wait(90)
    assert code != 0
    assert "exited" in collector.output
    _gone, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []


def test_a_taken_port_fails_start_up_with_a_message(db_url: str) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        collector = CollectorProcess(db_url, http_port=port, env={"MODELMIX_COLLECTOR_WORKERS": "2"})
        with pytest.raises(AssertionError, match="did not start"):
            collector.start()
        assert "could not start" in collector.output or "exited" in collector.output
    finally:
        taken.close()
    time.sleep(0.1)


@pytest.mark.parametrize("raw", ["0", "65", "-1", "two", "", "1.5", "2; rm -rf /"])
def test_bad_worker_counts_are_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="MODELMIX_COLLECTOR_WORKERS"):
        Settings.from_env({"MODELMIX_COLLECTOR_WORKERS": raw})


def test_worker_count_default_and_parse() -> None:
    assert Settings.from_env({}).collector_workers == 1
    assert Settings.from_env({"MODELMIX_COLLECTOR_WORKERS": " 4 "}).collector_workers == 4
