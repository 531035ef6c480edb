"""Binary OTLP bodies: protobuf parsing for trace and log export requests.

Both parsers return the generated protobuf request and turn every failure into ``DecodeError``,
the one exception the edges map to HTTP 400 / gRPC ``INVALID_ARGUMENT``. An empty body is a valid,
empty request (the OTLP spec answers it with success).
"""

from __future__ import annotations

from google.protobuf.message import DecodeError as _ProtobufDecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class DecodeError(ValueError):
    """The request body cannot be decoded at all (the whole request is refused)."""


def parse_protobuf_traces(body: bytes) -> ExportTraceServiceRequest:
    """Parse a binary ``ExportTraceServiceRequest``; raise ``DecodeError`` when it is malformed."""
    try:
        request: ExportTraceServiceRequest = ExportTraceServiceRequest.FromString(bytes(body))
        return request
    except (_ProtobufDecodeError, RuntimeError, RecursionError, TypeError, ValueError) as exc:
        raise DecodeError(f"invalid OTLP protobuf trace request: {_first_line(exc)}") from None


def parse_protobuf_logs(body: bytes) -> ExportLogsServiceRequest:
    """Parse a binary ``ExportLogsServiceRequest``; raise ``DecodeError`` when it is malformed."""
    try:
        request: ExportLogsServiceRequest = ExportLogsServiceRequest.FromString(bytes(body))
        return request
    except (_ProtobufDecodeError, RuntimeError, RecursionError, TypeError, ValueError) as exc:
        raise DecodeError(f"invalid OTLP protobuf log request: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
