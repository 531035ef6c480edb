"""OTLP request builders for collector tests: hand-made GenAI spans and the shared fixture files.

The protobuf form of a fixture file is produced here independently of the collector's own JSON
parser: the OTLP/JSON document is turned into protobuf's canonical JSON (hex ids → base64) and
parsed with ``google.protobuf.json_format``.
"""

from __future__ import annotations

import base64
import json
import os
import time
import zlib
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from tests.conftest import FIXTURES_DIR

FIXTURE_SETS = ("openai-v2", "openllmetry")
_ID_KEYS = {"traceId", "spanId", "parentSpanId"}


def fixture_files(name: str) -> list[Path]:
    return sorted((FIXTURES_DIR / name).glob("traces-*.json"))


def ground_truth(name: str) -> dict[str, Any]:
    path = FIXTURES_DIR / name / f"ground_truth_{name}.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _to_canonical_json(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                out[key] = base64.b64encode(bytes.fromhex(value)).decode()
            else:
                out[key] = _to_canonical_json(value)
        return out
    if isinstance(node, list):
        return [_to_canonical_json(v) for v in node]
    return node


def fixture_request(path: Path) -> ExportTraceServiceRequest:
    document = json.loads(path.read_bytes())
    request = ExportTraceServiceRequest()
    json_format.ParseDict(_to_canonical_json(document), request)
    return request


def content_probes(paths: list[Path]) -> set[str]:
    """Distinctive pieces of every prompt and completion text in the fixture files."""
    probes: set[str] = set()
    for path in paths:
        for resource in json.loads(path.read_bytes())["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                for span in scope["spans"]:
                    for attribute in span.get("attributes", []):
                        if attribute["key"] not in ("gen_ai.input.messages", "gen_ai.output.messages"):
                            continue
                        for message in json.loads(attribute["value"]["stringValue"]):
                            for part in message.get("parts", []):
                                text = part.get("content")
                                if isinstance(text, str) and len(text) >= 16:
                                    probes.update({text[:24], text[-24:]})
    return probes


def _attr(key: str, value: Any) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def chat_span(*, model: str = "gpt-4o-mini", response_model: str | None = "gpt-4o-mini-2024-07-18",
              input_tokens: int | None = 100, output_tokens: int | None = 20,
              start_ns: int | None = None, trace_id: bytes | None = None, error: bool = False,
              extra: dict[str, Any] | None = None) -> Span:
    """A leaf chat span in the current OTel GenAI conventions."""
    start = start_ns if start_ns is not None else time.time_ns() - 60_000_000_000
    attributes: dict[str, Any] = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                                  "gen_ai.request.model": model}
    if response_model is not None:
        attributes["gen_ai.response.model"] = response_model
    if input_tokens is not None:
        attributes["gen_ai.usage.input_tokens"] = input_tokens
    if output_tokens is not None:
        attributes["gen_ai.usage.output_tokens"] = output_tokens
    if error:
        attributes["error.type"] = "RateLimitError"
    attributes.update(extra or {})
    return Span(
        trace_id=trace_id or os.urandom(16), span_id=os.urandom(8), name=f"chat {model}",
        kind=Span.SPAN_KIND_CLIENT, start_time_unix_nano=start, end_time_unix_nano=start + 400_000_000,
        attributes=[_attr(k, v) for k, v in attributes.items()],
        status=Status(code=Status.STATUS_CODE_ERROR if error else Status.STATUS_CODE_OK),
    )


def export_request(*spans: Span, service: str = "svc-edge") -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        resource=Resource(attributes=[_attr("service.name", service)]),
        scope_spans=[ScopeSpans(scope=InstrumentationScope(name="tests.collector"), spans=list(spans))],
    )])


def to_otlp_json(request: ExportTraceServiceRequest) -> bytes:
    """OTLP/JSON of a request (hex ids, as the OTLP spec requires)."""
    document = json_format.MessageToDict(request)

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (base64.b64decode(v).hex() if k in _ID_KEYS and isinstance(v, str) else fix(v))
                    for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    return json.dumps(fix(document)).encode()


def gzip_bomb(inflated_size: int) -> bytes:
    """A gzip body of zeros that inflates to ``inflated_size`` bytes, built without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    parts = [packer.compress(chunk) for _ in range(inflated_size >> 20)]
    parts.append(packer.flush())
    return b"".join(parts)
