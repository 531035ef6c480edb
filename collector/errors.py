"""The collector's one exception tree: every failure an OTLP client can see, with its status on each transport.

::

    IngestError                 (abstract: http_status, grpc_code, retryable)
    ├── BadRequest              400 / INVALID_ARGUMENT    the body does not decode
    ├── Unauthenticated         401 / UNAUTHENTICATED     missing or unknown bearer token
    ├── PayloadTooLarge         413 / RESOURCE_EXHAUSTED  above MODELMIX_MAX_REQUEST_BYTES
    ├── UnsupportedMediaType    415 / UNIMPLEMENTED       content type or encoding not spoken
    └── Unavailable             503 / UNAVAILABLE         retry later (``retry_after`` seconds)
        ├── QueueFull           the write queue holds MODELMIX_QUEUE_MAX_SPANS spans
        ├── DatabaseUnavailable PostgreSQL cannot be reached or the write failed
        └── ShuttingDown        the collector is stopping

Retryable errors make OTLP exporters resend; since writes are idempotent, a resend never stores a
span twice, and a span is acknowledged only after it is committed.
"""

from __future__ import annotations

import grpc

DEFAULT_RETRY_AFTER_SECONDS = 1.0


class IngestError(Exception):
    http_status: int = 500
    grpc_code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(IngestError):
    http_status = 400
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT


class Unauthenticated(IngestError):
    http_status = 401
    grpc_code = grpc.StatusCode.UNAUTHENTICATED


class PayloadTooLarge(IngestError):
    http_status = 413
    grpc_code = grpc.StatusCode.RESOURCE_EXHAUSTED


class UnsupportedMediaType(IngestError):
    http_status = 415
    grpc_code = grpc.StatusCode.UNIMPLEMENTED


class Unavailable(IngestError):
    http_status = 503
    grpc_code = grpc.StatusCode.UNAVAILABLE
    retryable = True

    def __init__(self, message: str, retry_after: float = DEFAULT_RETRY_AFTER_SECONDS) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueueFull(Unavailable):
    pass


class DatabaseUnavailable(Unavailable):
    pass


class ShuttingDown(Unavailable):
    pass
