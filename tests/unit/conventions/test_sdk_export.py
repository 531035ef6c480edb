"""Spans made by the OpenTelemetry SDK and sent by its real OTLP/HTTP exporter decode correctly."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from modelmix.conventions import decode_traces, parse_protobuf_traces


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[bytes]

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.bodies.append(body)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[HTTPServer]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    server.bodies = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_sdk_exported_spans_decode(receiver: HTTPServer, compression: Compression) -> None:
    port = receiver.server_address[1]
    exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", compression=compression, timeout=10)
    provider = TracerProvider(resource=Resource.create({"service.name": "sdk-app",
                                                         "deployment.environment.name": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("opentelemetry.instrumentation.openai_v2")
    with tracer.start_as_current_span("classify-ticket", attributes={"modelmix.task": "classify-ticket"}):
        with tracer.start_as_current_span("chat gpt-4o-mini", kind=SpanKind.CLIENT, attributes={
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 9,
            "gen_ai.response.finish_reasons": ("stop",), "gen_ai.input.messages": "PRIVATE PROMPT",
        }):
            pass
        with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT, attributes={
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
            "error.type": "RateLimitError",
        }) as failing:
            failing.set_status(Status(StatusCode.ERROR, "rate limited"))
    provider.shutdown()

    calls, skeletons = [], []
    for body in receiver.bodies:  # type: ignore[attr-defined]
        batch = decode_traces(parse_protobuf_traces(body))  # real clock: the spans were just made
        assert batch.rejected == 0
        calls.extend(batch.calls)
        skeletons.extend(batch.skeletons)
    assert len(calls) == 2 and len(skeletons) == 1
    ok, failed = sorted(calls, key=lambda call: call.status == "error")
    assert (ok.service, ok.environment, ok.scope_name) == ("sdk-app", "test", "opentelemetry.instrumentation.openai_v2")
    assert (ok.response_model, ok.input_tokens, ok.output_tokens, ok.finish_reason) == (
        "gpt-4o-mini-2024-07-18", 120, 9, "stop")
    assert (failed.status, failed.error_type, failed.request_model) == ("error", "RateLimitError", "gpt-4o")
    assert ok.parent_span_id == skeletons[0].span_id == failed.parent_span_id
    assert skeletons[0].task == "classify-ticket"
    assert "PRIVATE PROMPT" not in repr(calls)
    assert ok.end_time is not None and ok.end_time >= ok.start_time
