"""Deliver span batches over OTLP/HTTP with the OpenTelemetry SDK's exporter, several at a time.

``receiver_url`` turns what a user types (``http://host:4318``) into the traces URL,
``check_receiver`` sends an empty export request first so a missing collector or a refused token
is reported before any work is done, and ``ParallelExporter`` runs one ``OTLPSpanExporter`` per
worker thread (protobuf over HTTP, retrying 429/503 as the exporter does, honouring
``Retry-After``). At most two batches per worker wait in memory, so a slow collector slows the
demo down instead of filling memory. The first failed batch stops the run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

TRACES_PATH = "/v1/traces"
EXPORT_TIMEOUT_SECONDS = 60.0  # per batch, retries on 429/503 included


class DemoError(RuntimeError):
    """The demo could not deliver its traffic; the message says why and what to do."""


def receiver_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL for an endpoint given with or without the ``/v1/traces`` path."""
    url = endpoint.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"endpoint must be an http(s) URL such as http://127.0.0.1:4318, got {endpoint!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValueError(f"endpoint has an invalid port: {endpoint!r}") from None
    if parts.path in {"", "/"}:
        return url.rstrip("/") + TRACES_PATH
    return url


def check_receiver(url: str, headers: Mapping[str, str] | None = None, timeout: float = 5.0) -> None:
    """Send an empty export request (which OTLP answers with success) and explain any refusal."""
    sent_headers = {"Content-Type": "application/x-protobuf", **(headers or {})}
    try:
        response = httpx.post(url, content=b"", headers=sent_headers, timeout=timeout)
    except httpx.ConnectError:
        raise DemoError(
            f"nothing answers at {url}. Start modelmix first (`make up` or `modelmix up`), "
            "or point the demo at your collector with --endpoint."
        ) from None
    except httpx.TimeoutException:
        raise DemoError(f"{url} did not answer within {timeout:.0f}s.") from None
    except httpx.HTTPError as exc:
        raise DemoError(f"could not talk to {url}: {exc}") from None
    if response.status_code in (401, 403):
        raise DemoError(
            f"the collector at {url} refused the demo (HTTP {response.status_code}): it requires an ingest "
            "token. Pass --token, or set MODELMIX_INGEST_TOKENS in the demo's environment too."
        )
    if response.status_code == 404:
        raise DemoError(f"{url} has no OTLP traces endpoint (HTTP 404); modelmix listens on {TRACES_PATH}.")
    if not 200 <= response.status_code < 300:
        raise DemoError(f"{url} answered an empty OTLP export request with HTTP {response.status_code}.")


def otlp_exporter_factory(url: str, headers: Mapping[str, str] | None = None) -> Callable[[], SpanExporter]:
    def make() -> SpanExporter:
        return OTLPSpanExporter(endpoint=url, headers=dict(headers or {}), timeout=EXPORT_TIMEOUT_SECONDS)

    return make


class ParallelExporter:
    """Export batches on worker threads, one exporter (and HTTP session) per thread."""

    def __init__(self, exporter_factory: Callable[[], SpanExporter], workers: int) -> None:
        self._factory = exporter_factory
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="modelmix-demo-export")
        self._slots = threading.BoundedSemaphore(workers * 2)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._exporters: list[SpanExporter] = []
        self.delivered_traces = 0
        self.delivered_spans = 0
        self.requests = 0
        self.failure: str | None = None

    def submit(self, spans: Sequence[ReadableSpan], traces: int) -> bool:
        """Queue one batch, blocking while every slot is taken; False (nothing queued) once one failed."""
        self._slots.acquire()
        if self.failure:
            self._slots.release()
            return False
        self._pool.submit(self._export, spans, traces)
        return True

    def close(self, cancel: bool = False) -> None:
        """Wait for the batches in flight (or drop the queued ones), then shut the exporters down."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)
        for exporter in self._exporters:
            exporter.shutdown()

    def _exporter(self) -> SpanExporter:
        exporter: SpanExporter | None = getattr(self._local, "exporter", None)
        if exporter is None:
            exporter = self._factory()
            self._local.exporter = exporter
            with self._lock:
                self._exporters.append(exporter)
        return exporter

    def _export(self, spans: Sequence[ReadableSpan], traces: int) -> None:
        try:
            try:
                result = self._exporter().export(spans)
                problem = "" if result is SpanExportResult.SUCCESS else "the exporter reported a failure"
            except Exception as exc:  # an exporter must not raise; if one does, stop the run cleanly
                problem = f"{type(exc).__name__}: {exc}"
            with self._lock:
                if not problem:
                    self.delivered_traces += traces
                    self.delivered_spans += len(spans)
                    self.requests += 1
                elif self.failure is None:
                    self.failure = (
                        f"a batch of {len(spans):,} spans was not accepted ({problem}; the exporter's log "
                        "above has the HTTP status)."
                    )
        finally:
            self._slots.release()
