"""The instrumentation helpers with the OpenTelemetry SDK, and end to end through decoder and assembler."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import Engine, text

from collector.writer import PostgresWriter
from modelmix import instrument
from modelmix.assembly import assemble_pending
from modelmix.conventions import decode_traces
from modelmix.instrument import escalate, task, verified
from modelmix.pricing import PriceBook


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "helper-demo",
                                                        "deployment.environment.name": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    instrument.use_tracer_provider(provider)
    try:
        yield memory
    finally:
        instrument.use_tracer_provider(None)
        provider.shutdown()


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    matches = [s for s in spans if s.name == name]
    assert len(matches) == 1, [s.name for s in spans]
    return matches[0]


def parent_of(span: ReadableSpan) -> int:
    assert span.parent is not None
    return span.parent.span_id


def attributes(span: ReadableSpan) -> dict[str, object]:
    return dict(span.attributes or {})


def fake_llm_call(model: str, served: str, input_tokens: int, output_tokens: int) -> None:
    """A chat span shaped like the official OpenAI instrumentation's, child of the current span."""
    tracer = instrument._tracer()
    with tracer.start_as_current_span(f"chat {model}", kind=SpanKind.CLIENT, attributes={
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model, "gen_ai.response.model": served,
        "gen_ai.usage.input_tokens": input_tokens, "gen_ai.usage.output_tokens": output_tokens,
        "gen_ai.response.finish_reasons": ("stop",),
    }):
        pass


def test_task_opens_a_span_named_after_the_task(exporter: InMemorySpanExporter) -> None:
    with task("classify-ticket") as span:
        assert span.is_recording()
        fake_llm_call("gpt-4o-mini", "gpt-4o-mini-2024-07-18", 10, 2)
    spans = exporter.get_finished_spans()
    root = by_name(spans, "classify-ticket")
    assert dict(root.attributes or {}) == {"modelmix.task": "classify-ticket"}
    assert parent_of(by_name(spans, "chat gpt-4o-mini")) == root.context.span_id


def test_task_decorates_sync_and_async_functions(exporter: InMemorySpanExporter) -> None:
    @task("summarize-thread")
    def summarize(text: str) -> str:
        return text.upper()

    @task("draft-reply")
    async def draft() -> int:
        await asyncio.sleep(0)
        return 7

    assert summarize("hi") == "HI"
    assert summarize("again") == "AGAIN"
    assert asyncio.run(draft()) == 7
    names = [s.name for s in exporter.get_finished_spans()]
    assert names == ["summarize-thread", "summarize-thread", "draft-reply"]
    assert summarize.__name__ == "summarize"


def test_an_exception_inside_a_task_is_recorded_and_re_raised(exporter: InMemorySpanExporter) -> None:
    with pytest.raises(RuntimeError), task("code-review"):
        raise RuntimeError("model timed out")
    span = by_name(exporter.get_finished_spans(), "code-review")
    assert span.status.status_code is StatusCode.ERROR


def test_escalate_marks_the_retry_span(exporter: InMemorySpanExporter) -> None:
    with task("classify-ticket"), escalate("gpt-4o-mini", "verification failed"):
        fake_llm_call("gpt-4o", "gpt-4o-2024-08-06", 10, 2)
    spans = exporter.get_finished_spans()
    esc = by_name(spans, "escalate")
    assert dict(esc.attributes or {}) == {
        "modelmix.escalated_from": "gpt-4o-mini", "modelmix.escalation_reason": "verification failed",
    }
    assert parent_of(esc) == by_name(spans, "classify-ticket").context.span_id
    assert parent_of(by_name(spans, "chat gpt-4o")) == esc.context.span_id


def test_verified_records_the_outcome_and_an_evaluation_event(exporter: InMemorySpanExporter) -> None:
    with task("classify-ticket"):
        assert verified(False, "label 'urgent!!' not allowed") is False
    span = by_name(exporter.get_finished_spans(), "classify-ticket")
    assert attributes(span)["modelmix.verification"] == "fail"
    (event,) = span.events
    assert event.name == "gen_ai.evaluation.result"
    assert dict(event.attributes or {}) == {
        "gen_ai.evaluation.name": "modelmix.verification", "gen_ai.evaluation.score.value": 0.0,
        "gen_ai.evaluation.score.label": "fail", "gen_ai.evaluation.explanation": "label 'urgent!!' not allowed",
    }


def test_verified_cuts_a_long_detail_and_rejects_non_booleans(exporter: InMemorySpanExporter) -> None:
    with task("t"):
        verified(True, "x" * 1000)
        with pytest.raises(TypeError):
            verified("yes")  # type: ignore[arg-type]
    (event,) = by_name(exporter.get_finished_spans(), "t").events
    assert len(str(dict(event.attributes or {})["gen_ai.evaluation.explanation"])) == 256


def test_verified_without_any_span_is_harmless() -> None:
    assert verified(True) is True


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
def test_blank_or_non_text_names_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        task(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        escalate(bad)  # type: ignore[arg-type]


def test_one_scope_object_can_be_entered_from_several_threads(exporter: InMemorySpanExporter) -> None:
    shared = task("parallel")
    barrier = threading.Barrier(4)

    def work() -> None:
        with shared:
            barrier.wait(timeout=5)
            fake_llm_call("gpt-4o-mini", "gpt-4o-mini", 1, 1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spans = exporter.get_finished_spans()
    roots = {s.context.span_id for s in spans if s.name == "parallel"}
    assert len(roots) == 4
    assert {parent_of(s) for s in spans if s.name.startswith("chat")} == roots
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_the_helpers_produce_what_the_decoder_and_assembler_read(
        engine: Engine, exporter: InMemorySpanExporter) -> None:
    with task("classify-ticket"):
        fake_llm_call("gpt-4o-mini", "gpt-4o-mini-2024-07-18", 120, 4)
        if not verified(False, "not a known label"):
            with escalate("gpt-4o-mini", "verification failed"):
                fake_llm_call("gpt-4o", "gpt-4o-2024-08-06", 130, 5)
                verified(True)
    request = encode_spans(exporter.get_finished_spans())
    batch = decode_traces(request, now=datetime.now(UTC))
    assert (len(batch.calls), len(batch.skeletons), batch.rejected) == (2, 2, 0)
    writer = PostgresWriter(engine, pricer=PriceBook.load(engine).price)
    try:
        writer.write(batch.calls, batch.skeletons)
    finally:
        writer.close()
    assemble_pending(engine, flush=True)
    with engine.connect() as conn:
        run = conn.execute(text("SELECT * FROM task_runs")).mappings().one()
        calls = conn.execute(text(
            "SELECT canonical_model, task, task_source, escalation, verification FROM llm_calls "
            "ORDER BY start_time")).all()
    assert (run["task"], run["service"], run["environment"]) == ("classify-ticket", "helper-demo", "test")
    assert (run["calls"], run["escalated"], run["escalation"]) == (2, True, "explicit")
    assert (run["escalated_from_model"], run["escalated_to_model"]) == ("gpt-4o-mini", "gpt-4o")
    assert run["verification"] == "pass"
    assert [tuple(c) for c in calls] == [
        ("gpt-4o-mini", "classify-ticket", "ancestor_task", None, "fail"),
        ("gpt-4o", "classify-ticket", "ancestor_task", "explicit", "pass"),
    ]
