"""PostgreSQL goes away and comes back: ingest answers "retry later", then the resend is stored once.

The collector writes to its own embedded PostgreSQL (never the shared test server), which the test
stops and starts again in the same data directory.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.sdk.trace.export import SpanExportResult
from sqlalchemy import Engine, text

from collector.app import Collector, create_collector
from modelmix.db import migrate
from modelmix.db.embedded import EmbeddedPostgres
from modelmix.db.engine import make_engine
from tests.collector.factories import collector_settings
from tests.collector.otlp_helpers import chat_span, export_request
from tests.collector.test_otel_exporters import record_spans

PROTOBUF = {"Content-Type": "application/x-protobuf"}


class Outage:
    """An embedded PostgreSQL that can be stopped and started again at the same address."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.server = EmbeddedPostgres(pgdata)
        self.url = self.server.start("modelmix")

    def stop(self) -> None:
        self.server.stop()

    def restart(self) -> None:
        self.server = EmbeddedPostgres(self.pgdata)
        assert self.server.start("modelmix") == self.url


@pytest.fixture
def outage() -> Iterator[tuple[Outage, Engine, Collector]]:
    # Not pytest's tmp_path: concurrent pytest sessions on this machine prune each other's old
    # base temp directories, which would pull the data directory away from a running server.
    base = Path(tempfile.mkdtemp(prefix="modelmix-outage-"))
    base.chmod(0o755)  # the embedded server runs as its own unprivileged user
    db = Outage(base / "pg")
    engine = make_engine(db.url)
    migrate.upgrade(engine)
    collector = create_collector(collector_settings(), engine)
    collector.start()
    try:
        yield db, engine, collector
    finally:
        collector.stop()
        engine.dispose()
        db.stop()
        shutil.rmtree(base, ignore_errors=True)


def stored(engine: Engine, span_ids: list[bytes]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM llm_calls WHERE span_id = ANY(:ids)"),
                                {"ids": span_ids}).scalar_one())


def test_503_while_the_database_is_down_then_the_resend_is_stored_once(
        outage: tuple[Outage, Engine, Collector]) -> None:
    db, engine, collector = outage
    http = httpx.Client(base_url=collector.endpoints.http, timeout=30)
    before = export_request(chat_span())
    assert http.post("/v1/traces", content=before.SerializeToString(), headers=PROTOBUF).status_code == 200

    db.stop()
    spans = [chat_span() for _ in range(3)]
    body = export_request(*spans).SerializeToString()
    refused = http.post("/v1/traces", content=body, headers=PROTOBUF)
    assert refused.status_code == 503
    assert int(refused.headers["retry-after"]) >= 1
    assert http.get("/health").status_code == 503
    with grpc.insecure_channel(collector.endpoints.grpc) as channel:
        with pytest.raises(grpc.RpcError) as failure:
            trace_service_pb2_grpc.TraceServiceStub(channel).Export(export_request(*spans), timeout=30)
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE

    db.restart()
    deadline = time.monotonic() + 30
    while True:  # what an exporter does: wait Retry-After, resend the same body
        response = http.post("/v1/traces", content=body, headers=PROTOBUF)
        if response.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(float(response.headers["retry-after"]))
    assert response.status_code == 200
    assert http.post("/v1/traces", content=body, headers=PROTOBUF).status_code == 200  # one more resend
    assert stored(engine, [s.span_id for s in spans]) == 3
    assert stored(engine, [before.resource_spans[0].scope_spans[0].spans[0].span_id]) == 1
    assert http.get("/health").status_code == 200
    http.close()


def test_the_sdk_exporter_retries_through_an_outage(outage: tuple[Outage, Engine, Collector]) -> None:
    db, engine, collector = outage
    spans = record_spans("outage-svc")
    exporter = OTLPSpanExporter(endpoint=collector.endpoints.http + "/v1/traces", timeout=60)
    db.stop()
    results: list[SpanExportResult] = []
    sender = threading.Thread(target=lambda: results.append(exporter.export(spans)))
    sender.start()
    time.sleep(1.5)  # the exporter meets at least one 503 and backs off per Retry-After
    assert not results
    db.restart()
    sender.join(60)
    exporter.shutdown()
    assert results == [SpanExportResult.SUCCESS]
    ids = [s.context.span_id.to_bytes(8, "big") for s in spans]
    assert stored(engine, ids) == 2  # the two chat calls, once each
    assert collector.stats.failed_batches >= 1
