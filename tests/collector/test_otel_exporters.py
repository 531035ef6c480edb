"""The OpenTelemetry SDK's own OTLP exporters (HTTP/protobuf and gRPC) sending to a running collector."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http import Compression as HttpCompression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import Engine, text

from tests.collector.conftest import StartCollector
from tests.collector.factories import collector_settings

TOKEN = "sdk-exporter-token"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PROMPT = "Please classify this ticket: my invoice shows a double charge"
COMPLETION = "billing-dispute with high confidence"


def record_spans(service: str) -> tuple[ReadableSpan, ...]:
    """One task run as an instrumented service would emit it: a root span and two chat calls."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service,
                                                        "deployment.environment.name": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests.sdk")
    with tracer.start_as_current_span("classify-ticket", attributes={"modelmix.task": "classify-ticket"}):
        for model, served, tokens_in, tokens_out in (("gpt-4o-mini", "gpt-4o-mini-2024-07-18", 812, 9),
                                                     ("gpt-4o", "gpt-4o-2024-08-06", 812, 12)):
            with tracer.start_as_current_span(f"chat {model}", kind=SpanKind.CLIENT) as span:
                span.set_attributes({
                    "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": model, "gen_ai.response.model": served,
                    "gen_ai.usage.input_tokens": tokens_in, "gen_ai.usage.output_tokens": tokens_out,
                    "gen_ai.response.finish_reasons": ["stop"],
                    "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [
                        {"type": "text", "content": PROMPT}]}]),
                    "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [
                        {"type": "text", "content": COMPLETION}]}]),
                })
                if model == "gpt-4o-mini":
                    span.set_status(Status(StatusCode.ERROR, "verification failed"))
                    span.set_attribute("error.type", "VerificationFailed")
    provider.shutdown()
    return memory.get_finished_spans()


def utc_from_ns(ns: int | None) -> datetime:
    assert ns is not None
    return EPOCH + timedelta(microseconds=ns // 1000)  # PostgreSQL keeps microseconds


def assert_stored_as_sent(engine: Engine, spans: Sequence[ReadableSpan], service: str) -> None:
    root = next(s for s in spans if s.parent is None)
    calls = {s.attributes["gen_ai.request.model"]: s for s in spans if s.parent is not None}  # type: ignore[index]
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT trace_id, span_id, parent_span_id, service, environment, request_model, response_model,"
            " input_tokens, output_tokens, status, start_time, end_time FROM llm_calls ORDER BY request_model"
        )).all()
        skeletons = conn.execute(text("SELECT trace_id, span_id, name, task, service FROM span_skeletons")).all()
        dump = conn.execute(text("SELECT coalesce(string_agg(attributes::text, ' '), '') FROM llm_calls")).scalar()
    assert len(rows) == 2
    for row in rows:
        sent = calls[row.request_model]
        assert bytes(row.trace_id) == sent.context.trace_id.to_bytes(16, "big")
        assert bytes(row.span_id) == sent.context.span_id.to_bytes(8, "big")
        assert bytes(row.parent_span_id) == root.context.span_id.to_bytes(8, "big")
        assert (row.service, row.environment) == (service, "test")
        assert row.response_model == sent.attributes["gen_ai.response.model"]  # type: ignore[index]
        assert (row.input_tokens, row.output_tokens) == (sent.attributes["gen_ai.usage.input_tokens"],  # type: ignore[index]
                                                         sent.attributes["gen_ai.usage.output_tokens"])  # type: ignore[index]
        assert row.status == ("error" if row.request_model == "gpt-4o-mini" else "ok")
        assert (row.start_time, row.end_time) == (utc_from_ns(sent.start_time), utc_from_ns(sent.end_time))
    assert [(bytes(s.span_id), s.name, s.task, s.service) for s in skeletons] == [
        (root.context.span_id.to_bytes(8, "big"), "classify-ticket", "classify-ticket", service)]
    assert PROMPT not in (dump or "") and COMPLETION not in (dump or "")


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_sdk_exporter_spans_are_stored_as_sent(start_collector: StartCollector, engine: Engine,
                                               transport: str) -> None:
    collector = start_collector(collector_settings(ingest_tokens=(TOKEN,)))
    service = f"sdk-{transport}"
    spans = record_spans(service)
    exporter: SpanExporter
    if transport == "http":
        exporter = HttpSpanExporter(endpoint=collector.endpoints.http + "/v1/traces", timeout=30,
                                    headers={"Authorization": f"Bearer {TOKEN}"},
                                    compression=HttpCompression.Gzip)
    else:
        exporter = GrpcSpanExporter(endpoint=collector.endpoints.grpc, insecure=True, timeout=30,
                                    headers=(("authorization", f"Bearer {TOKEN}"),))
    try:
        assert exporter.export(spans) is SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()
    assert_stored_as_sent(engine, spans, service)  # no flush: success means committed


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_sdk_exporter_without_the_token_is_refused(start_collector: StartCollector, engine: Engine,
                                                   transport: str) -> None:
    collector = start_collector(collector_settings(ingest_tokens=(TOKEN,)))
    exporter: SpanExporter
    if transport == "http":
        exporter = HttpSpanExporter(endpoint=collector.endpoints.http + "/v1/traces", timeout=10)
    else:
        exporter = GrpcSpanExporter(endpoint=collector.endpoints.grpc, insecure=True, timeout=10)
    try:
        assert exporter.export(record_spans("sdk-anonymous")) is SpanExportResult.FAILURE
    finally:
        exporter.shutdown()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM llm_calls")).scalar_one() == 0
