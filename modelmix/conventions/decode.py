"""``decode_traces``: one OTLP trace request in, normalized calls and span skeletons out.

The pipeline, all pure: validate each span (a bad one is rejected and counted, never the
request) → sort its attributes (``reader``) → classify it (``classify``) → extract call fields
(``extract``) → de-duplicate stacked call spans (``dedup``) → keep only *leaf* calls (a call span
with another call of its kind below it in the same request aggregates them and becomes a
skeleton) → scrub and bound the leftover attributes (``attributes``).

Rejection rules: a trace id that is not 16 bytes or is all zero; a span id that is not 8 bytes or
is all zero; a parent span id that is set but not 8 bytes; a start time that is missing, more than
``max_span_age_days`` in the past or more than a day in the future. An end time before the start
is not a rejection: the end is treated as unknown and the call notes ``_end_before_start``.
A span repeated within one request (same trace and span id) is kept once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from modelmix.conventions import keys
from modelmix.conventions.attributes import bound_attributes, call_attributes
from modelmix.conventions.classify import Classified, classify, first_str, span_kind_hint
from modelmix.conventions.dedup import Candidate, deduplicate
from modelmix.conventions.extract import call_fields, error_type_of, normalize_error_type, skeleton_fields
from modelmix.conventions.reader import SpanView, read_span
from modelmix.records import STATUS_ERROR, STATUS_OK, LlmCall, SpanSkeleton

MAX_MESSAGES = 10
UNKNOWN_SERVICE = "unknown_service"
HINT_DUPLICATE = "duplicate_llm"  # a call span dropped as a duplicate of another
HINT_AGGREGATE = "aggregate_llm"  # a call span with calls below it (its usage aggregates them)
_STATUS_CODE_ERROR = 2
_NS_PER_DAY = 86_400 * 10**9
_MAX_ANCESTRY = 256
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)
_RESOURCE_ENV_KEYS = keys.FIELD_KEYS[keys.ENVIRONMENT]


@dataclass(frozen=True)
class DecodedBatch:
    calls: list[LlmCall]  # leaf inference + embedding calls, normalized, scrubbed, deduplicated
    skeletons: list[SpanSkeleton]  # every other span
    rejected: int  # spans rejected (bad ids, absurd timestamps ...)
    messages: list[str]  # short reasons for rejections (the first MAX_MESSAGES)
    duplicates: int  # calls dropped because another span in the request is the same call
    dedup_rules: dict[str, int] = field(default_factory=dict)  # rule -> times it fired


@dataclass(slots=True)
class _Context:
    service: str | None
    environment: str | None
    scope_name: str | None
    is_openlit: bool


@dataclass(slots=True)
class _Span:
    span: Any
    trace_id: bytes
    span_id: bytes
    parent_id: bytes | None
    start_ns: int
    end_ns: int | None  # None when missing or before the start
    view: SpanView
    context: _Context
    classified: Classified | None
    candidate: Candidate | None = None
    aggregate: bool = False


def decode_traces(
    request: ExportTraceServiceRequest,
    *,
    capture_content: bool = False,
    attributes_max_bytes: int = 8192,
    max_span_age_days: int = 400,
    now: datetime | None = None,
) -> DecodedBatch:
    """Normalize one trace request; never raises on span contents (bad spans are rejected).

    ``capture_content`` keeps prompts/completions in the calls' attributes (off: scrubbed);
    ``attributes_max_bytes`` bounds each call's leftover attributes as compact JSON;
    ``max_span_age_days`` and ``now`` (default: the current time) set the accepted start times.
    """
    if now is None:
        now_ns = time.time_ns()
    else:  # a naive ``now`` is taken as UTC
        now_ns = int((now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp()) * 10**9
    oldest_ns = now_ns - max_span_age_days * _NS_PER_DAY
    newest_ns = now_ns + _NS_PER_DAY
    spans: list[_Span] = []
    parents: dict[tuple[bytes, bytes], bytes | None] = {}
    rejected = 0
    repeated = 0
    messages: list[str] = []
    for resource_spans in request.resource_spans:
        service, environment, sdk_name = _resource_context(resource_spans.resource)
        for scope_spans in resource_spans.scope_spans:
            scope_name = scope_spans.scope.name or None
            is_openlit = sdk_name == "openlit" or (scope_name or "").startswith("openlit")
            context = _Context(service, environment, scope_name, is_openlit)
            for span in scope_spans.spans:
                trace_id, span_id, parent_id = span.trace_id, span.span_id, span.parent_span_id
                start_ns = span.start_time_unix_nano
                if (len(trace_id) != 16 or len(span_id) != 8 or trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN
                        or (parent_id and len(parent_id) != 8) or not oldest_ns <= start_ns <= newest_ns):
                    problem = _problem(trace_id, span_id, parent_id, start_ns, oldest_ns, newest_ns,
                                       max_span_age_days)  # the valid common case skips the call
                    if problem is not None:
                        rejected += 1
                        if len(messages) < MAX_MESSAGES:
                            messages.append(f"span {span_id[:8].hex()} of trace {trace_id[:16].hex()}: {problem}")
                        continue
                key = (trace_id, span_id)
                if key in parents:
                    repeated += 1
                    continue
                if not parent_id or parent_id == _ZERO_SPAN:
                    parent_id = None
                parents[key] = parent_id
                end_ns = span.end_time_unix_nano
                view = read_span(span, capture_content)
                spans.append(_Span(span, trace_id, span_id, parent_id, start_ns,
                                   end_ns if end_ns >= start_ns else None, view, context,
                                   classify(view, span.name)))

    candidates = [_candidate(item, capture_content) for item in spans if item.classified is not None]
    rules = deduplicate(candidates, _Ancestry(parents).is_ancestor)
    _mark_aggregates(spans, parents)
    calls: list[LlmCall] = []
    skeletons: list[SpanSkeleton] = []
    for item in spans:
        candidate = item.candidate
        if candidate is not None and candidate.dropped_by is None and not item.aggregate:
            calls.append(_call(item, candidate, attributes_max_bytes))
        else:
            skeletons.append(_skeleton(item))
    if repeated:
        rules["span_id"] = repeated
    return DecodedBatch(calls, skeletons, rejected, messages, sum(rules.values()), rules)


class _Ancestry:
    """Parent links of the request's spans, walked upwards (bounded, so cycles cannot hang it)."""

    def __init__(self, parents: dict[tuple[bytes, bytes], bytes | None]) -> None:
        self.parents = parents

    def is_ancestor(self, trace_id: bytes, ancestor_id: bytes, span_id: bytes) -> bool:
        parents = self.parents
        current = parents.get((trace_id, span_id))
        for _ in range(_MAX_ANCESTRY):
            if current is None:
                return False
            if current == ancestor_id:
                return True
            current = parents.get((trace_id, current))
        return False


def _resource_context(resource: Any) -> tuple[str | None, str | None, str | None]:
    found: dict[str, str] = {}
    for entry in resource.attributes:
        key = entry.key
        if key in ("service.name", "telemetry.sdk.name") or key in _RESOURCE_ENV_KEYS:
            value = entry.value
            if value.WhichOneof("value") == "string_value" and value.string_value.strip():
                found.setdefault(key, value.string_value.strip())
    environment = next((found[key] for key in _RESOURCE_ENV_KEYS if key in found), None)
    return found.get("service.name"), environment, found.get("telemetry.sdk.name", "").lower() or None


def _problem(trace_id: bytes, span_id: bytes, parent: bytes, start: int, oldest_ns: int, newest_ns: int,
             max_age_days: int) -> str | None:
    if len(trace_id) != 16 or trace_id == _ZERO_TRACE:
        return "trace id must be 16 bytes (32 hex digits) and not all zero"
    if len(span_id) != 8 or span_id == _ZERO_SPAN:
        return "span id must be 8 bytes (16 hex digits) and not all zero"
    if parent and len(parent) != 8:
        return "parent span id must be 8 bytes (16 hex digits) when set"
    if not start:
        return "start time is missing"
    if start < oldest_ns:
        return f"start time is more than {max_age_days} days in the past"
    if start > newest_ns:
        return "start time is more than a day in the future"
    return None


def _time(nanos: int) -> datetime:
    return _EPOCH + timedelta(0, 0, nanos // 1000)  # positional: cheaper than keywords


def _candidate(item: _Span, capture_content: bool) -> Candidate:
    span, view, context = item.span, item.view, item.context
    call_kind, operation = item.classified  # type: ignore[misc]
    is_openlit = context.is_openlit or (first_str(view, keys.SDK_NAME) or "").lower() == "openlit"
    fields, ex = call_fields(view, call_kind, is_openlit=is_openlit)
    if view.fields.get(keys.OPERATION):
        ex.winners[keys.OPERATION] = view.fields[keys.OPERATION][0]
    notes = fields.pop("_notes", None) or {}
    if item.end_ns is None and span.end_time_unix_nano:
        notes["_end_before_start"] = True
    status = span.status
    error_type = ex.text(keys.ERROR_TYPE)
    is_error = status.code == _STATUS_CODE_ERROR or error_type is not None
    if is_error and error_type is None:
        error_type = error_type_of(ex, status.message)
    if error_type is not None:
        raw_error_type, error_type = error_type, normalize_error_type(error_type)
        if raw_error_type != error_type:
            notes["_raw_error_type"] = raw_error_type
    fields["call_kind"] = call_kind
    fields["operation"] = operation
    fields["environment"] = ex.text(keys.ENVIRONMENT) or context.environment
    fields["status"] = STATUS_ERROR if is_error else STATUS_OK
    fields["error_type"] = error_type
    attributes = call_attributes(ex, notes, capture_content)
    candidate = Candidate(item.trace_id, item.span_id, item.parent_id, item.start_ns, item.end_ns, span.kind,
                          fields, attributes)
    item.candidate = candidate
    return candidate


def _mark_aggregates(spans: list[_Span], parents: dict[tuple[bytes, bytes], bytes | None]) -> None:
    """A surviving call with a surviving call of the same kind below it is an aggregate."""
    live = {
        (item.candidate.trace_id, item.candidate.span_id): item
        for item in spans
        if item.candidate is not None and item.candidate.dropped_by is None
    }
    per_trace: dict[bytes, int] = {}
    for trace_id, _span_id in live:
        per_trace[trace_id] = per_trace.get(trace_id, 0) + 1
    for (trace_id, span_id), item in live.items():
        if per_trace[trace_id] < 2:
            continue  # the only surviving call of its trace in this request has none below it
        kind = item.candidate.fields["call_kind"]  # type: ignore[union-attr]
        current = parents.get((trace_id, span_id))
        for _ in range(_MAX_ANCESTRY):
            if current is None or current == span_id:  # the root, or a cycle back to the start
                break
            above = live.get((trace_id, current))
            if above is not None and above.candidate.fields["call_kind"] == kind:  # type: ignore[union-attr]
                if above.aggregate:
                    break  # the chain above was marked already
                above.aggregate = True
            current = parents.get((trace_id, current))


def _call(item: _Span, candidate: Candidate, attributes_max_bytes: int) -> LlmCall:
    span, context = item.span, item.context
    service = context.service or first_str(item.view, keys.SERVICE_NAME) or UNKNOWN_SERVICE
    return LlmCall(
        trace_id=candidate.trace_id,
        span_id=candidate.span_id,
        parent_span_id=candidate.parent_id,
        start_time=_time(candidate.start_ns),
        end_time=_time(candidate.end_ns) if candidate.end_ns is not None else None,
        service=service,
        scope_name=context.scope_name,
        span_name=span.name or None,
        attributes=bound_attributes(candidate.attributes, attributes_max_bytes),
        **candidate.fields,
    )


def _skeleton(item: _Span) -> SpanSkeleton:
    span, view, context = item.span, item.view, item.context
    service, environment = context.service, context.environment
    hint: str | None = None
    if item.candidate is not None:
        hint = HINT_DUPLICATE if item.candidate.dropped_by else HINT_AGGREGATE
    if view.fields:
        hint = hint or span_kind_hint(view)
        service = service or first_str(view, keys.SERVICE_NAME)
        environment = first_str(view, keys.ENVIRONMENT) or environment
    task, workflow_name, trace_name, agent_name, escalated_from, verification = skeleton_fields(view)
    end_ns = item.end_ns
    return SpanSkeleton(  # positional (SpanSkeleton's field order): a third of the keyword call's cost
        item.trace_id, item.span_id, item.parent_id, span.name, _time(item.start_ns),
        _time(end_ns) if end_ns is not None else None, service or UNKNOWN_SERVICE, environment, span.kind,
        STATUS_ERROR if span.status.code == _STATUS_CODE_ERROR else STATUS_OK,
        task, workflow_name, trace_name, agent_name, escalated_from, verification, hint,
    )
