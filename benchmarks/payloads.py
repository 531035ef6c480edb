"""Pre-serialized OTLP trace requests built from the shared fixtures, with trace ids cheap to rewrite.

The fixture traces (OpenTelemetry GenAI and OpenLLMetry shapes, realistic attribute sets, content
included) are parsed once, moved in time so they end a minute ago, regrouped into requests of about
``spans_per_request`` spans and serialized. Each trace in a template gets a random 16-byte
placeholder id (per copy of a fixture file, so a file used twice in one request still yields distinct
traces); the byte offsets of every occurrence are recorded, so a load generator makes a
request unique by overwriting those bytes with ids of its own (``Template.render``) — a few hundred
slice assignments instead of a protobuf round trip.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from modelmix.conventions import parse_json_traces

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "otlp"
FIXTURE_SETS = ("openai-v2", "openllmetry")
TRACE_ID_BYTES = 16
_ID_FORMAT = struct.Struct(">HHIQ")  # run tag, client, request sequence, trace slot


@dataclass(frozen=True)
class Template:
    """One serialized request and where its trace ids sit in the bytes."""

    body: bytes
    spans: int
    slots: tuple[tuple[int, ...], ...]  # per trace: byte offsets of its 16-byte id

    def render(self, run_tag: int, client: int, sequence: int) -> bytes:
        """The body with every trace id replaced by one unique to (run, client, sequence, slot)."""
        out = bytearray(self.body)
        pack = _ID_FORMAT.pack
        for slot, offsets in enumerate(self.slots):
            trace_id = pack(run_tag, client, sequence & 0xFFFFFFFF, slot + 1)
            for offset in offsets:
                out[offset:offset + TRACE_ID_BYTES] = trace_id
        return bytes(out)


def fixture_requests(fixtures_dir: Path = FIXTURES_DIR) -> list[ExportTraceServiceRequest]:
    """Every fixture trace file, parsed with the collector's own OTLP/JSON parser."""
    paths = [p for name in FIXTURE_SETS for p in sorted((fixtures_dir / name).glob("traces-*.json"))]
    if not paths:
        raise FileNotFoundError(f"no OTLP fixture files under {fixtures_dir}")
    return [parse_json_traces(p.read_bytes()) for p in paths]


def span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(scope.spans) for resource in request.resource_spans for scope in resource.scope_spans)


def _spans(request: ExportTraceServiceRequest) -> Iterable[object]:
    for resource in request.resource_spans:
        for scope in resource.scope_spans:
            yield from scope.spans


def shift_to_now(requests: list[ExportTraceServiceRequest], *, end_ago_s: float = 60.0) -> None:
    """Move every span (in place) so the latest start is ``end_ago_s`` before now."""
    latest = max(span.start_time_unix_nano for r in requests for span in _spans(r))  # type: ignore[attr-defined]
    delta = time.time_ns() - int(end_ago_s * 1e9) - latest
    for request in requests:
        for span in _spans(request):
            span.start_time_unix_nano += delta  # type: ignore[attr-defined]
            if span.end_time_unix_nano:  # type: ignore[attr-defined]
                span.end_time_unix_nano += delta  # type: ignore[attr-defined]
            for event in span.events:  # type: ignore[attr-defined]
                if event.time_unix_nano:
                    event.time_unix_nano += delta


def _with_placeholder_ids(source: ExportTraceServiceRequest) -> tuple[ExportTraceServiceRequest, list[bytes]]:
    """A copy of ``source`` whose traces carry fresh random placeholder ids, and those ids."""
    copy = ExportTraceServiceRequest()
    copy.CopyFrom(source)
    mapping: dict[bytes, bytes] = {}
    for span in _spans(copy):
        old = span.trace_id  # type: ignore[attr-defined]
        new = mapping.get(old)
        if new is None:
            new = mapping[old] = os.urandom(TRACE_ID_BYTES)
        span.trace_id = new  # type: ignore[attr-defined]
    return copy, list(mapping.values())


def _offsets(body: bytes, needle: bytes) -> tuple[int, ...]:
    found: list[int] = []
    at = body.find(needle)
    while at >= 0:
        found.append(at)
        at = body.find(needle, at + 1)
    return tuple(found)


def build_templates(spans_per_request: int = 512, count: int = 8,
                    fixtures_dir: Path = FIXTURES_DIR) -> list[Template]:
    """``count`` request templates of about ``spans_per_request`` spans, cycling through the fixtures."""
    if spans_per_request < 1 or count < 1:
        raise ValueError("spans_per_request and count must be at least 1")
    sources = fixture_requests(fixtures_dir)
    shift_to_now(sources)
    templates: list[Template] = []
    index = 0
    while len(templates) < count:
        request = ExportTraceServiceRequest()
        placeholders: list[bytes] = []
        spans = 0
        while spans < spans_per_request:
            source, ids = _with_placeholder_ids(sources[index % len(sources)])
            index += 1
            request.resource_spans.extend(source.resource_spans)
            placeholders.extend(ids)
            spans += span_count(source)
        body = request.SerializeToString()
        slots = tuple(_offsets(body, new) for new in placeholders)
        if sum(len(s) for s in slots) < spans:
            raise RuntimeError("a placeholder trace id was not found in the serialized request")
        templates.append(Template(body, spans, slots))
    return templates
