"""The transport-independent part of a trace export: decode, queue, wait for the commit, answer.

Both edges (HTTP and gRPC) hand a parsed ``ExportTraceServiceRequest`` to ``TraceIngest.export``.
It normalizes the spans with ``modelmix.conventions.decode_traces`` (content is scrubbed there unless
``MODELMIX_CAPTURE_CONTENT`` is on), submits calls and skeletons to the batcher, waits until their
batch is committed, and returns the OTLP response — with ``partial_success`` counting the spans the
decoder or the database refused. Queue and database trouble surface as ``Unavailable`` errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from collector.batcher import Batcher, WriteOutcome
from collector.errors import BadRequest
from collector.telemetry import CollectorTelemetry
from modelmix.conventions import DecodedBatch, DecodeError, decode_traces
from modelmix.settings import Settings

# Requests with more spans than this are decoded off the event loop so it keeps answering others.
DECODE_INLINE_MAX_SPANS = 2_000
ERROR_MESSAGE_MAX_CHARS = 2_000

Decoder = Callable[[ExportTraceServiceRequest], DecodedBatch]


def count_spans(request: ExportTraceServiceRequest) -> int:
    return sum(len(scope.spans) for resource in request.resource_spans for scope in resource.scope_spans)


def _message(parts: list[str]) -> str:
    text = "; ".join(dict.fromkeys(p for p in parts if p))  # de-duplicated, in order
    if len(text) > ERROR_MESSAGE_MAX_CHARS:
        text = text[: ERROR_MESSAGE_MAX_CHARS - 1] + "…"
    return text


class TraceIngest:
    def __init__(self, settings: Settings, batcher: Batcher, telemetry: CollectorTelemetry) -> None:
        self._batcher = batcher
        self._telemetry = telemetry
        self._capture_content = settings.capture_content
        self._attributes_max_bytes = settings.attributes_max_bytes
        self._max_span_age_days = settings.max_span_age_days

    def decode(self, request: ExportTraceServiceRequest) -> DecodedBatch:
        try:
            return decode_traces(request, capture_content=self._capture_content,
                                 attributes_max_bytes=self._attributes_max_bytes,
                                 max_span_age_days=self._max_span_age_days)
        except DecodeError as exc:
            raise BadRequest(f"the request could not be decoded: {exc}") from None

    async def export(self, request: ExportTraceServiceRequest, transport: str) -> ExportTraceServiceResponse:
        received = count_spans(request)
        t = self._telemetry
        t.spans_received.labels(transport).inc(received)
        self._batcher.check_room(received)  # shed load before spending the decode on it
        if received > DECODE_INLINE_MAX_SPANS:
            decoded = await asyncio.get_running_loop().run_in_executor(None, self.decode, request)
        else:
            decoded = self.decode(request)
        for rule, dropped in decoded.dedup_rules.items():
            t.spans_duplicate.labels(rule).inc(dropped)
        if decoded.rejected:
            t.spans_rejected.labels("decode").inc(decoded.rejected)
        outcome = WriteOutcome()
        submitted = len(decoded.calls) + len(decoded.skeletons)
        if submitted:
            future = self._batcher.submit(decoded.calls, decoded.skeletons)
            outcome = await asyncio.wrap_future(future)
        t.spans_accepted.inc(submitted - outcome.rejected)
        rejected = decoded.rejected + outcome.rejected
        if not rejected:
            return ExportTraceServiceResponse()
        message = _message([*decoded.messages, *outcome.messages]) or f"{rejected} spans were rejected"
        return ExportTraceServiceResponse(
            partial_success=ExportTracePartialSuccess(rejected_spans=rejected, error_message=message)
        )
