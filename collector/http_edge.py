"""The OTLP/HTTP edge (Starlette): ``/v1/traces``, ``/v1/logs``, ``/v1/metrics``, ``/health``, ``/metrics``.

Every export request goes through the same steps, each with its own status when it fails: bearer
token (401), media type and content encoding (415), size while reading and inflating (413), decoding
(400), queue and database (503 with ``Retry-After``). Responses use the request's encoding. Logs are
decoded to validate them and are never stored; metrics are acknowledged without being read further.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from collector.auth import TokenAuth
from collector.errors import BadRequest, IngestError
from collector.ingest import TraceIngest
from collector.payload import Encoding, body_encoding, is_gzip, read_body
from collector.responses import error_response, message_response
from collector.telemetry import CollectorTelemetry
from modelmix.conventions import (
    DecodeError,
    parse_json_logs,
    parse_json_traces,
    parse_protobuf_logs,
    parse_protobuf_traces,
)

Handler = Callable[[bytes, Encoding], Awaitable[Message]]
HealthCheck = Callable[[], tuple[bool, dict[str, object]]]


class HttpEdge:
    def __init__(self, ingest: TraceIngest, auth: TokenAuth, telemetry: CollectorTelemetry, *,
                 max_request_bytes: int, health: HealthCheck) -> None:
        self._ingest = ingest
        self._auth = auth
        self._telemetry = telemetry
        self._limit = max_request_bytes
        self._health = health

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v1/traces", self.traces, methods=["POST"]),
            Route("/v1/logs", self.logs, methods=["POST"]),
            Route("/v1/metrics", self.metrics_export, methods=["POST"]),
            Route("/health", self.health, methods=["GET"]),
            Route("/metrics", self.prometheus, methods=["GET"]),
        ])

    async def traces(self, request: Request) -> Response:
        return await self._export(request, "traces", self._handle_traces)

    async def logs(self, request: Request) -> Response:
        return await self._export(request, "logs", _handle_logs)

    async def metrics_export(self, request: Request) -> Response:
        return await self._export(request, "metrics", _handle_metrics)

    async def health(self, request: Request) -> Response:
        healthy, details = self._health()
        body = json.dumps({"status": "ok" if healthy else "unavailable", **details})
        return Response(body, status_code=200 if healthy else 503, media_type="application/json")

    async def prometheus(self, request: Request) -> Response:
        return Response(self._telemetry.render(), media_type=CONTENT_TYPE_LATEST)

    async def _export(self, request: Request, signal: str, handle: Handler) -> Response:
        encoding = Encoding.JSON  # until the request says otherwise, errors are written as JSON
        headers = request.headers
        try:
            self._auth.check(headers.get("authorization"))
            encoding = body_encoding(headers.get("content-type"))
            gzip = is_gzip(headers.get("content-encoding"))
            body = await read_body(request.stream(), gzip=gzip, limit=self._limit,
                                   content_length=headers.get("content-length"))
            response = message_response(await handle(body, encoding), encoding)
        except IngestError as exc:
            response = error_response(exc, encoding)
        self._telemetry.requests.labels("http", signal, str(response.status_code)).inc()
        return response

    async def _handle_traces(self, body: bytes, encoding: Encoding) -> Message:
        try:
            request = parse_json_traces(body) if encoding is Encoding.JSON else parse_protobuf_traces(body)
        except DecodeError as exc:
            raise BadRequest(f"the body is not a valid OTLP trace export: {exc}") from None
        return await self._ingest.export(request, "http")


async def _handle_logs(body: bytes, encoding: Encoding) -> Message:
    try:
        parse_json_logs(body) if encoding is Encoding.JSON else parse_protobuf_logs(body)
    except DecodeError as exc:
        raise BadRequest(f"the body is not a valid OTLP logs export: {exc}") from None
    return ExportLogsServiceResponse()


async def _handle_metrics(body: bytes, encoding: Encoding) -> Message:
    return ExportMetricsServiceResponse()
