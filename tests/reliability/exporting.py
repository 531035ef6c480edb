"""Senders built on the OpenTelemetry SDK's own OTLP exporters, with a ledger of what was acknowledged.

``ExportLoop`` is one instrumented service: it records batches of chat spans with a real
``TracerProvider`` and hands them to a real ``OTLPSpanExporter`` (HTTP/protobuf or gRPC), the way a
``BatchSpanProcessor`` would. A batch whose ``export`` returns SUCCESS is *acknowledged*; a batch
that fails is kept and exported again later (``resend_pending``), as a service with a persistent
queue would. ``Ledger`` keeps every span id sent and acknowledged, across all loops.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

MODELS = (("gpt-4o-mini", "gpt-4o-mini-2024-07-18"), ("gpt-4o", "gpt-4o-2024-08-06"),
          ("claude-3-5-haiku-latest", "claude-3-5-haiku-20241022"))


def span_id_of(span: ReadableSpan) -> bytes:
    assert span.context is not None
    return span.context.span_id.to_bytes(8, "big")


class SpanFactory:
    """Chat spans recorded through a real SDK tracer; each span is the root of its own trace."""

    def __init__(self, service: str) -> None:
        self._memory = InMemorySpanExporter()
        self._provider = TracerProvider(resource=Resource.create({"service.name": service}))
        self._provider.add_span_processor(SimpleSpanProcessor(self._memory))
        self._tracer = self._provider.get_tracer("tests.reliability")
        self._n = 0

    def batch(self, size: int) -> list[ReadableSpan]:
        for _ in range(size):
            requested, served = MODELS[self._n % len(MODELS)]
            self._n += 1
            with self._tracer.start_as_current_span(f"chat {requested}", kind=SpanKind.CLIENT) as span:
                span.set_attributes({
                    "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": requested, "gen_ai.response.model": served,
                    "gen_ai.usage.input_tokens": 100 + self._n % 900, "gen_ai.usage.output_tokens": 10 + self._n % 90,
                    "modelmix.task": "reliability",
                })
        spans = list(self._memory.get_finished_spans())
        self._memory.clear()
        return spans


@dataclass
class Ledger:
    """Span ids sent and acknowledged, and when acknowledgements happened (monotonic seconds)."""

    sent: set[bytes] = field(default_factory=set)
    acknowledged: set[bytes] = field(default_factory=set)
    batches_sent: int = 0
    failed_exports: int = 0
    resent_batches: int = 0
    ack_times: list[float] = field(default_factory=list)
    acked_batches: list[list[ReadableSpan]] = field(default_factory=list)
    exports: list[tuple[float, float]] = field(default_factory=list)  # (began, ended) of every export call
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note_sent(self, batch: Sequence[ReadableSpan]) -> None:
        with self.lock:
            self.sent.update(span_id_of(s) for s in batch)
            self.batches_sent += 1

    def note_result(self, batch: list[ReadableSpan], result: SpanExportResult, resend: bool,
                    began: float) -> None:
        with self.lock:
            self.exports.append((began, time.monotonic()))
            if resend:
                self.resent_batches += 1
            if result is SpanExportResult.SUCCESS:
                self.acknowledged.update(span_id_of(s) for s in batch)
                self.ack_times.append(time.monotonic())
                self.acked_batches.append(batch)
            else:
                self.failed_exports += 1

    def first_ack_after(self, moment: float) -> float | None:
        with self.lock:
            later = [t for t in self.ack_times if t >= moment]
        return min(later) if later else None

    def exports_spanning(self, moment: float) -> int:
        """Export calls that were under way at ``moment`` (started before it, returned after it)."""
        with self.lock:
            return sum(began < moment < ended for began, ended in self.exports)


def make_exporter(transport: str, http_traces_url: str, grpc_target: str, timeout_s: float,
                  headers: dict[str, str] | None = None) -> SpanExporter:
    if transport == "http":
        return HttpSpanExporter(endpoint=http_traces_url, timeout=timeout_s, headers=headers)
    metadata = tuple((headers or {}).items()) or None
    return GrpcSpanExporter(endpoint=grpc_target, insecure=True, timeout=timeout_s, headers=metadata)


class ExportLoop(threading.Thread):
    """Exports a batch every ``pause_s`` seconds until stopped; failed batches wait in ``pending``."""

    def __init__(self, name: str, exporter: SpanExporter, ledger: Ledger, *, batch_size: int = 20,
                 pause_s: float = 0.05) -> None:
        super().__init__(name=name, daemon=True)
        self.exporter = exporter
        self.ledger = ledger
        self.batch_size = batch_size
        self.pause_s = pause_s
        self.pending: list[list[ReadableSpan]] = []
        self.stop_event = threading.Event()
        self._factory = SpanFactory(f"reliability-{name}")

    def run(self) -> None:
        while not self.stop_event.is_set():
            batch = self._factory.batch(self.batch_size)
            self.ledger.note_sent(batch)
            began = time.monotonic()
            result = self.exporter.export(batch)
            self.ledger.note_result(batch, result, resend=False, began=began)
            if result is not SpanExportResult.SUCCESS:
                self.pending.append(batch)
            self.stop_event.wait(self.pause_s)

    def finish(self, timeout: float = 60.0) -> None:
        self.stop_event.set()
        self.join(timeout)
        assert not self.is_alive(), f"sender {self.name} did not stop"

    def resend_pending(self, deadline_s: float = 60.0) -> None:
        """Export every failed batch again until it is acknowledged (or the deadline passes)."""
        deadline = time.monotonic() + deadline_s
        while self.pending and time.monotonic() < deadline:
            batch = self.pending[0]
            began = time.monotonic()
            result = self.exporter.export(batch)
            self.ledger.note_result(batch, result, resend=True, began=began)
            if result is SpanExportResult.SUCCESS:
                self.pending.pop(0)
            else:
                time.sleep(0.5)
