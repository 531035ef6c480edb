"""The OTLP/gRPC edge (grpc.aio): the generated Trace, Logs and Metrics service servicers.

Authentication reads the ``authorization`` metadata; errors abort the call with the status of the
collector's error tree and a ``google.rpc.Status`` detail (with ``RetryInfo`` when the client should
retry). Oversized messages never reach these methods: the server is built with
``grpc.max_receive_message_length`` set to ``MODELMIX_MAX_REQUEST_BYTES`` and answers
``RESOURCE_EXHAUSTED`` itself.
"""

from __future__ import annotations

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from collector.auth import TokenAuth
from collector.errors import IngestError
from collector.ingest import TraceIngest
from collector.responses import grpc_trailers
from collector.telemetry import CollectorTelemetry


async def _abort(context: grpc.aio.ServicerContext, exc: IngestError) -> None:
    await context.abort(exc.grpc_code, exc.message, trailing_metadata=grpc_trailers(exc))


class TraceServicer(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, ingest: TraceIngest, auth: TokenAuth, telemetry: CollectorTelemetry) -> None:
        self._ingest, self._auth, self._telemetry = ingest, auth, telemetry

    async def Export(  # noqa: N802 - the generated servicer's method name
        self, request: trace_service_pb2.ExportTraceServiceRequest,
        context: grpc.aio.ServicerContext,
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        try:
            self._auth.check_metadata(context.invocation_metadata())
            response = await self._ingest.export(request, "grpc")
        except IngestError as exc:
            self._telemetry.requests.labels("grpc", "traces", exc.grpc_code.name).inc()
            await _abort(context, exc)
            raise  # abort() raises; this line is never reached
        self._telemetry.requests.labels("grpc", "traces", "OK").inc()
        return response


class LogsServicer(logs_service_pb2_grpc.LogsServiceServicer):
    """Log records are accepted (the message parsed, so it is valid OTLP) and never stored."""

    def __init__(self, auth: TokenAuth, telemetry: CollectorTelemetry) -> None:
        self._auth, self._telemetry = auth, telemetry

    async def Export(  # noqa: N802
        self, request: logs_service_pb2.ExportLogsServiceRequest,
        context: grpc.aio.ServicerContext,
    ) -> logs_service_pb2.ExportLogsServiceResponse:
        try:
            self._auth.check_metadata(context.invocation_metadata())
        except IngestError as exc:
            self._telemetry.requests.labels("grpc", "logs", exc.grpc_code.name).inc()
            await _abort(context, exc)
            raise
        self._telemetry.requests.labels("grpc", "logs", "OK").inc()
        return logs_service_pb2.ExportLogsServiceResponse()


class MetricsServicer(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, auth: TokenAuth, telemetry: CollectorTelemetry) -> None:
        self._auth, self._telemetry = auth, telemetry

    async def Export(  # noqa: N802
        self, request: metrics_service_pb2.ExportMetricsServiceRequest,
        context: grpc.aio.ServicerContext,
    ) -> metrics_service_pb2.ExportMetricsServiceResponse:
        try:
            self._auth.check_metadata(context.invocation_metadata())
        except IngestError as exc:
            self._telemetry.requests.labels("grpc", "metrics", exc.grpc_code.name).inc()
            await _abort(context, exc)
            raise
        self._telemetry.requests.labels("grpc", "metrics", "OK").inc()
        return metrics_service_pb2.ExportMetricsServiceResponse()


def build_grpc_server(ingest: TraceIngest, auth: TokenAuth, telemetry: CollectorTelemetry, *,
                      max_request_bytes: int, reuse_port: bool = False) -> grpc.aio.Server:
    """``reuse_port`` lets several collector worker processes listen on the same port (SO_REUSEPORT)."""
    server = grpc.aio.server(options=[
        ("grpc.max_receive_message_length", max_request_bytes),
        ("grpc.max_send_message_length", 16 * 1024 * 1024),
        ("grpc.so_reuseport", 1 if reuse_port else 0),
    ])
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(
        TraceServicer(ingest, auth, telemetry), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(
        LogsServicer(auth, telemetry), server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(
        MetricsServicer(auth, telemetry), server)
    return server
