"""A small real OTLP/HTTP receiver for delivery tests: decodes every request, can refuse on cue.

It is a genuine HTTP server (``http.server`` on a free loopback port, one thread per connection)
that parses each body as an ``ExportTraceServiceRequest``. ``script`` lists the status codes to
answer export requests with, in order (then 200); the empty request the demo sends first is always
answered with ``preflight_status``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass
class Received:
    requests: int = 0
    spans: int = 0
    span_ids: set[tuple[bytes, bytes]] = field(default_factory=set)
    authorization: set[str] = field(default_factory=set)
    content_types: set[str] = field(default_factory=set)
    refused: int = 0


@dataclass
class Receiver:
    url: str
    received: Received
    script: list[int]
    lock: threading.Lock


@contextmanager
def otlp_receiver(script: list[int] | None = None, preflight_status: int = 200,
                  retry_after: str = "0") -> Iterator[Receiver]:
    received = Received()
    lock = threading.Lock()
    pending = list(script or [])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not body:
                self._answer(preflight_status)
                return
            with lock:
                status = pending.pop(0) if pending else 200
                if status != 200:
                    received.refused += 1
                else:
                    request = ExportTraceServiceRequest.FromString(body)
                    received.requests += 1
                    for resource_spans in request.resource_spans:
                        for scope_spans in resource_spans.scope_spans:
                            for span in scope_spans.spans:
                                received.spans += 1
                                received.span_ids.add((span.trace_id, span.span_id))
                    received.authorization.add(self.headers.get("Authorization", ""))
                    received.content_types.add(self.headers.get("Content-Type", ""))
            self._answer(status)

        def _answer(self, status: int) -> None:
            payload = ExportTraceServiceResponse().SerializeToString() if status == 200 else b"refused"
            self.send_response(status)
            self.send_header("Content-Type", "application/x-protobuf")
            if status in (429, 503):
                self.send_header("Retry-After", retry_after)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}", received, pending, lock)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
