"""Delivering the demo over real OTLP/HTTP: what arrives, retries on backpressure, clear failures,
garbage arguments refused before anything is sent, and progress reported from the caller's thread."""

from __future__ import annotations

import socket
import threading
from collections import Counter

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from modelmix.demo import DemoError, run_demo
from modelmix.demo.delivery import receiver_url
from tests.demo.conftest import FIXED_NOW
from tests.demo.receiver import otlp_receiver


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_span_arrives_as_protobuf_with_the_token() -> None:
    with otlp_receiver() as receiver:
        summary = run_demo(receiver.url, weeks=1, scale=0.03, now=FIXED_NOW, batch_spans=300,
                           headers={"Authorization": "Bearer demo-token-123"})
    got = receiver.received
    assert got.spans == summary.spans == len(got.span_ids)
    assert got.requests == summary.requests > 1
    assert got.authorization == {"Bearer demo-token-123"}
    assert got.content_types == {"application/x-protobuf"}
    assert summary.endpoint == receiver.url + "/v1/traces"


def test_backpressure_is_retried_and_nothing_is_lost() -> None:
    with otlp_receiver(script=[503, 429, 503]) as receiver:
        summary = run_demo(receiver.url, weeks=1, scale=0.02, now=FIXED_NOW, batch_spans=200, workers=2)
    assert receiver.received.refused == 3
    assert receiver.received.spans == summary.spans == len(receiver.received.span_ids)


def test_nothing_listening_is_a_clear_error() -> None:
    with pytest.raises(DemoError, match="nothing answers at .*modelmix up"):
        run_demo(f"http://127.0.0.1:{closed_port()}", weeks=1, scale=0.01)


@pytest.mark.parametrize(("status", "message"), [(401, "ingest token"), (403, "ingest token"),
                                                 (404, "no OTLP traces endpoint"), (500, "HTTP 500")])
def test_a_refused_preflight_stops_before_any_span_is_sent(status: int, message: str) -> None:
    with otlp_receiver(preflight_status=status) as receiver:
        with pytest.raises(DemoError, match=message):
            run_demo(receiver.url, weeks=1, scale=0.01)
    assert receiver.received.spans == 0


def test_a_rejected_batch_stops_the_run_and_says_how_far_it_got() -> None:
    with otlp_receiver(script=[200, 400]) as receiver:
        with pytest.raises(DemoError, match=r"not accepted.*traces were delivered before it"):
            run_demo(receiver.url, weeks=1, scale=0.05, now=FIXED_NOW, batch_spans=100, workers=1)
    # The run stopped early: far fewer requests than the ~20 a full run takes.
    assert receiver.received.requests < 10


class FailingAfter(SpanExporter):
    def __init__(self, good_batches: int) -> None:
        self.good = good_batches
        self.calls = 0
        self.lock = threading.Lock()

    def export(self, spans: object) -> SpanExportResult:
        with self.lock:
            self.calls += 1
            return SpanExportResult.SUCCESS if self.calls <= self.good else SpanExportResult.FAILURE


def test_an_exporter_failure_becomes_a_demo_error() -> None:
    exporter = FailingAfter(good_batches=2)
    with pytest.raises(DemoError, match="not accepted"):
        run_demo("http://127.0.0.1:4318", weeks=1, scale=0.05, now=FIXED_NOW, batch_spans=100,
                 exporter_factory=lambda: exporter)
    assert exporter.calls < 20


@pytest.mark.parametrize("kwargs", [
    {"weeks": 0}, {"weeks": 53}, {"weeks": -1}, {"weeks": "8"}, {"weeks": 2.5}, {"weeks": True},
    {"scale": 0}, {"scale": -1.0}, {"scale": float("nan")}, {"scale": float("inf")}, {"scale": 21},
    {"scale": "1.0"}, {"scale": None}, {"scale": True},
    {"workers": 0}, {"workers": 33}, {"workers": "4"}, {"batch_spans": 0}, {"batch_spans": 2.5},
    {"seed": "42"}, {"seed": None}, {"seed": 4.2},
])
def test_garbage_arguments_are_refused_before_anything_is_sent(kwargs: dict[str, object]) -> None:
    exported: list[int] = []

    class Recorder(SpanExporter):
        def export(self, spans: object) -> SpanExportResult:
            exported.append(1)
            return SpanExportResult.SUCCESS

    args: dict[str, object] = {"weeks": 1, "scale": 0.01, "now": FIXED_NOW, "exporter_factory": Recorder}
    args.update(kwargs)
    with pytest.raises(ValueError):
        run_demo("http://127.0.0.1:4318", **args)  # type: ignore[arg-type]
    assert exported == []


@pytest.mark.parametrize("endpoint", ["", "127.0.0.1:4318", "ftp://host/v1/traces", "http://", "http://h:99999",
                                      "not a url", "http:///v1/traces"])
def test_garbage_endpoints_are_refused(endpoint: str) -> None:
    with pytest.raises(ValueError):
        receiver_url(endpoint)


def test_endpoints_with_and_without_the_traces_path() -> None:
    assert receiver_url("http://collector:4318") == "http://collector:4318/v1/traces"
    assert receiver_url(" http://collector:4318/ ") == "http://collector:4318/v1/traces"
    assert receiver_url("https://otel.example.com/v1/traces") == "https://otel.example.com/v1/traces"
    assert receiver_url("http://[::1]:4318") == "http://[::1]:4318/v1/traces"


def test_progress_is_reported_from_the_callers_thread_up_to_the_total() -> None:
    seen: list[tuple[int, int]] = []
    threads: Counter[int] = Counter()

    def progress(done: int, total: int) -> None:
        threads[threading.get_ident()] += 1
        seen.append((done, total))

    class Slow(SpanExporter):
        def export(self, spans: object) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    summary = run_demo("http://127.0.0.1:4318", weeks=1, scale=0.05, now=FIXED_NOW, batch_spans=100,
                       progress=progress, exporter_factory=Slow)
    assert set(threads) == {threading.get_ident()}
    assert len(seen) > 5
    assert seen[-1] == (summary.traces, summary.traces)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert {t for _, t in seen} == {summary.traces}


def test_eight_weeks_at_full_scale_is_at_least_200k_calls() -> None:
    counted = Counter[str]()
    lock = threading.Lock()

    class CallCounter(SpanExporter):
        def export(self, spans: list[ReadableSpan]) -> SpanExportResult:  # type: ignore[override]
            with lock:
                for span in spans:
                    counted[str((span.attributes or {}).get("gen_ai.operation.name"))] += 1
            return SpanExportResult.SUCCESS

    summary = run_demo("http://127.0.0.1:4318", weeks=8, now=FIXED_NOW, exporter_factory=CallCounter)
    calls = counted["chat"] + counted["generate_content"]
    assert calls == summary.calls >= 200_000
    assert sum(counted.values()) == summary.spans
