"""Build the OpenTelemetry spans of one backdated trace, as the SDK would have recorded them.

``TraceBuilder`` hands out trace and span ids from a seeded random generator (so a seed replays
the same ids), takes explicit start and end times in nanoseconds, and produces SDK
``ReadableSpan``s — the exact objects a ``TracerProvider`` passes to its exporters — with one
``Resource`` per service and environment and the instrumentation scope of whichever library would
have emitted the span. ``call`` records an LLM call in the OTel GenAI convention and counts it in
the run's ``DemoTally``. No prompt or completion content is ever put on a span.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from modelmix.demo.catalog import CACHE_AUTOMATIC, CACHE_EXPLICIT, SERVICES, DemoModel
from modelmix.demo.summary import DemoTally

NS = 1_000_000_000
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_UNSET = Status(StatusCode.UNSET)
SDK_VERSION = "1.45.2"


@dataclass(frozen=True)
class Usage:
    """Token counts of one call, OTel style: input includes cache, output includes reasoning."""

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@lru_cache(maxsize=64)
def service_resource(service: str, environment: str) -> Resource:
    """The resource a service's TracerProvider would carry (no detectors, so it is deterministic)."""
    return Resource({
        "service.name": service,
        "service.version": SERVICES[service].version,
        "deployment.environment.name": environment,
        "telemetry.sdk.language": "python",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.version": SDK_VERSION,
    })


@lru_cache(maxsize=64)
def scope(name: str, version: str | None = None) -> InstrumentationScope:
    return InstrumentationScope(name, version)


class TraceBuilder:
    """Collects the spans of one trace; ``spans`` is complete once the root span is added."""

    def __init__(self, rng: random.Random, service: str, environment: str, tally: DemoTally) -> None:
        self.rng = rng
        self.service = service
        self.environment = environment
        self.tally = tally
        self.resource = service_resource(service, environment)
        self.app_scope = scope(service, SERVICES[service].version)
        self.trace_id = rng.getrandbits(128) or 1
        self.spans: list[ReadableSpan] = []

    def new_span_id(self) -> int:
        return self.rng.getrandbits(64) or 1

    def span(
        self,
        name: str,
        *,
        parent: int | None,
        start: int,
        end: int,
        span_id: int | None = None,
        attributes: dict[str, Any] | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        instrumentation: InstrumentationScope | None = None,
        status: Status = _UNSET,
        events: tuple[Event, ...] = (),
    ) -> int:
        """Add one finished span; returns its span id."""
        span_id = span_id or self.new_span_id()
        parent_ctx = SpanContext(self.trace_id, parent, False, _SAMPLED) if parent else None
        self.spans.append(ReadableSpan(
            name=name,
            context=SpanContext(self.trace_id, span_id, False, _SAMPLED),
            parent=parent_ctx,
            resource=self.resource,
            attributes=attributes or {},
            events=events,
            kind=kind,
            instrumentation_scope=instrumentation or self.app_scope,
            status=status,
            start_time=start,
            end_time=end,
        ))
        self.tally.spans += 1
        return span_id

    def call(
        self,
        model: DemoModel,
        *,
        parent: int,
        start: int,
        usage: Usage | None,
        error_type: str | None = None,
        finish_reason: str | None = None,
        verification: str | None = None,
        task: str | None = None,
        max_tokens: int = 1024,
    ) -> int:
        """Add an LLM call span (``usage=None`` with ``error_type`` for a failed call); returns its end."""
        rng = self.rng
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": model.operation,
            "gen_ai.provider.name": model.provider,
            "gen_ai.request.model": model.request_model,
            "gen_ai.request.max_tokens": max_tokens,
            "gen_ai.request.temperature": 0.2,
            "server.address": model.server_address,
            "server.port": 443,
        }
        if task:
            attrs["modelmix.task"] = task
        if verification:
            attrs["modelmix.verification"] = verification
        events: tuple[Event, ...] = ()
        status = _UNSET
        if usage is None:
            error = error_type or model.error_types[0]
            attrs["error.type"] = error
            duration = int(rng.uniform(0.2, 8.0) * NS)
            status = Status(StatusCode.ERROR, f"{error} from {model.provider}")
            events = (Event("exception", {"exception.type": error,
                                          "exception.message": f"{model.provider} returned {error}"},
                            timestamp=start + duration),)
            self.tally.failed_calls += 1
        else:
            reported = self._usage_attributes(model, usage)
            attrs.update(reported)
            self._count_usage(reported)
            attrs["gen_ai.response.finish_reasons"] = (finish_reason or model.finish_stop,)
            if model.response_model:
                attrs["gen_ai.response.model"] = model.response_model
            if model.provider == "openai":
                attrs["gen_ai.response.id"] = f"chatcmpl-{rng.getrandbits(96):024x}"
            elif model.provider == "anthropic":
                attrs["gen_ai.response.id"] = f"msg_01{rng.getrandbits(88):022x}"
            seconds = (rng.uniform(0.25, 0.9) + usage.output_tokens / model.output_tokens_per_second
                       + usage.input_tokens / 60_000)
            duration = int(seconds * NS)
        if verification == "pass":
            self.tally.verification_pass += 1
        elif verification == "fail":
            self.tally.verification_fail += 1
        self.span(f"{model.operation} {model.request_model}", parent=parent, start=start, end=start + duration,
                  attributes=attrs, kind=SpanKind.CLIENT, instrumentation=scope(model.scope, model.scope_version),
                  status=status, events=events)
        self.tally.calls += 1
        # What a collector counts: the response model when the span has one (failed calls do not).
        self.tally.calls_by_model[attrs.get("gen_ai.response.model") or model.request_model] += 1
        self.tally.calls_by_provider[model.provider] += 1
        self.tally.calls_by_service[self.service] += 1
        self.tally.calls_by_environment[self.environment] += 1
        return start + duration

    @staticmethod
    def _usage_attributes(model: DemoModel, usage: Usage) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "gen_ai.usage.input_tokens": usage.input_tokens,
            "gen_ai.usage.output_tokens": usage.output_tokens,
        }
        if model.caching == CACHE_AUTOMATIC or usage.cache_read_tokens:
            attrs["gen_ai.usage.cache_read.input_tokens"] = usage.cache_read_tokens
        if model.caching == CACHE_EXPLICIT:
            attrs["gen_ai.usage.cache_creation.input_tokens"] = usage.cache_write_tokens
        if model.reasoning and (usage.reasoning_tokens or model.provider == "openai"):
            attrs["gen_ai.usage.reasoning.output_tokens"] = usage.reasoning_tokens
        return attrs

    def _count_usage(self, reported: dict[str, Any]) -> None:
        """Add to the tally exactly the counts that went onto the span."""
        tally = self.tally
        tally.input_tokens += reported["gen_ai.usage.input_tokens"]
        tally.output_tokens += reported["gen_ai.usage.output_tokens"]
        tally.cache_read_tokens += reported.get("gen_ai.usage.cache_read.input_tokens", 0)
        tally.cache_write_tokens += reported.get("gen_ai.usage.cache_creation.input_tokens", 0)
        tally.reasoning_tokens += reported.get("gen_ai.usage.reasoning.output_tokens", 0)
