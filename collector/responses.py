"""OTLP/HTTP response bodies: export responses and ``google.rpc.Status`` errors, in the request's encoding.

Also the gRPC error details: a ``google.rpc.Status`` carrying ``RetryInfo`` in the standard
``grpc-status-details-bin`` trailer, plus the raw ``RetryInfo`` in ``google.rpc.retryinfo-bin``,
the trailer OpenTelemetry's Python exporter reads its back-off from.
"""

from __future__ import annotations

import math

from google.protobuf import json_format
from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from google.rpc.error_details_pb2 import RetryInfo
from google.rpc.status_pb2 import Status
from starlette.responses import Response

from collector.errors import IngestError, Unauthenticated, Unavailable
from collector.payload import Encoding


def encode(message: Message, encoding: Encoding) -> bytes:
    if encoding is Encoding.JSON:
        return str(json_format.MessageToJson(message, indent=None)).encode()
    return bytes(message.SerializeToString())


def message_response(message: Message, encoding: Encoding, status_code: int = 200) -> Response:
    return Response(encode(message, encoding), status_code=status_code, media_type=encoding.media_type)


def retry_info(seconds: float) -> RetryInfo:
    whole = int(seconds)
    return RetryInfo(retry_delay=Duration(seconds=whole, nanos=int((seconds - whole) * 1e9)))


def error_status(exc: IngestError) -> Status:
    status = Status(code=exc.grpc_code.value[0], message=exc.message)
    if isinstance(exc, Unavailable):
        detail = AnyMessage()
        detail.Pack(retry_info(exc.retry_after))
        status.details.append(detail)
    return status


def error_response(exc: IngestError, encoding: Encoding) -> Response:
    response = message_response(error_status(exc), encoding, exc.http_status)
    if isinstance(exc, Unavailable):
        response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    if isinstance(exc, Unauthenticated):
        response.headers["WWW-Authenticate"] = 'Bearer realm="modelmix"'
    return response


def grpc_trailers(exc: IngestError) -> tuple[tuple[str, bytes], ...]:
    trailers: list[tuple[str, bytes]] = [("grpc-status-details-bin", error_status(exc).SerializeToString())]
    if isinstance(exc, Unavailable):
        trailers.append(("google.rpc.retryinfo-bin", retry_info(exc.retry_after).SerializeToString()))
    return tuple(trailers)
