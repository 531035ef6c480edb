"""Hand-built OTLP spans for the convention tests (real protobuf messages, no mocks)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from modelmix.conventions import DecodedBatch, decode_traces

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NOW_NS = int(NOW.timestamp()) * 10**9
SPAN_KIND_INTERNAL = 1
SPAN_KIND_CLIENT = 3
_ids = itertools.count(1)


def new_trace_id() -> bytes:
    return (0xA000 + next(_ids)).to_bytes(16, "big")


def new_span_id() -> bytes:
    return (0xB000 + next(_ids)).to_bytes(8, "big")


def any_value(value: Any) -> AnyValue:
    if isinstance(value, AnyValue):
        return value
    if value is None:
        return AnyValue()  # an empty AnyValue (no value set)
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, str):
        return AnyValue(string_value=value)
    result = AnyValue()
    if isinstance(value, Mapping):
        result.kvlist_value.SetInParent()
        result.kvlist_value.values.extend(key_values(value))
    else:
        result.array_value.SetInParent()
        result.array_value.values.extend(any_value(item) for item in value)
    return result


def key_values(attributes: Mapping[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=key, value=any_value(value)) for key, value in attributes.items()]


def make_span(
    attributes: Mapping[str, Any] | None = None,
    *,
    name: str = "chat gpt-4o",
    kind: int = SPAN_KIND_CLIENT,
    trace_id: bytes | None = None,
    span_id: bytes | None = None,
    parent_span_id: bytes | None = None,
    start_ns: int = NOW_NS - 60 * 10**9,
    duration_ns: int = 2 * 10**9,
    end_ns: int | None = None,
    status_code: int = 0,
    status_message: str = "",
    events: Iterable[tuple[str, Mapping[str, Any]]] = (),
) -> Span:
    span = Span(
        trace_id=trace_id if trace_id is not None else new_trace_id(),
        span_id=span_id if span_id is not None else new_span_id(),
        parent_span_id=parent_span_id or b"",
        name=name,
        kind=cast(Any, kind),
        start_time_unix_nano=start_ns,
        end_time_unix_nano=end_ns if end_ns is not None else start_ns + duration_ns,
    )
    span.attributes.extend(key_values(attributes or {}))
    span.status.code = cast(Any, status_code)
    span.status.message = status_message
    for event_name, event_attributes in events:
        event = span.events.add(name=event_name, time_unix_nano=start_ns + 1)
        event.attributes.extend(key_values(event_attributes))
    return span


def make_request(
    spans: Iterable[Span],
    *,
    resource: Mapping[str, Any] | None = None,
    scope: str = "tests.hand_built",
) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(
        key_values({"service.name": "svc-test"} if resource is None else resource)
    )
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = scope
    scope_spans.spans.extend(spans)
    return request


def decode(
    spans: Iterable[Span] | Span,
    *,
    resource: Mapping[str, Any] | None = None,
    scope: str = "tests.hand_built",
    **options: Any,
) -> DecodedBatch:
    if isinstance(spans, Span):
        spans = [spans]
    options.setdefault("now", NOW)
    return decode_traces(make_request(spans, resource=resource, scope=scope), **options)


def only_call(batch: DecodedBatch) -> Any:
    assert len(batch.calls) == 1, f"expected one call, got {len(batch.calls)}: {batch.calls}"
    return batch.calls[0]
