"""The collector factory: wires settings, writer, batcher, edges and telemetry into one runnable object.

``create_collector(settings, engine, pricer=...)`` builds a ``Collector`` without side effects.
``start()`` runs the HTTP (uvicorn) and gRPC (grpc.aio) servers in one event loop on a background
thread and returns once both are listening (port 0 picks free ports; read ``http_port`` and
``grpc_port``). ``stop()`` stops accepting, lets in-flight requests finish (their batches commit),
writes anything still queued and closes the database connection.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from dataclasses import dataclass

import uvicorn
from sqlalchemy import Engine

from collector.auth import TokenAuth
from collector.batcher import Batcher, BatcherStats, BatchResult
from collector.grpc_edge import build_grpc_server
from collector.http_edge import HttpEdge
from collector.ingest import TraceIngest
from collector.telemetry import CollectorTelemetry
from collector.writer import PostgresWriter, Pricer
from modelmix.assembly.gauges import ModelMixGaugeCollector
from modelmix.settings import Settings

log = logging.getLogger(__name__)

GRACE_SECONDS = 10


@dataclass(frozen=True)
class Endpoints:
    http: str  # base URL, e.g. http://127.0.0.1:4318
    grpc: str  # host:port


class Collector:
    def __init__(self, settings: Settings, engine: Engine, *, pricer: Pricer | None = None,
                 reuse_port: bool = False) -> None:
        self.settings = settings
        self.reuse_port = reuse_port  # share the ports with sibling worker processes (SO_REUSEPORT)
        self.telemetry = CollectorTelemetry()
        # Model-mix gauges from the rollups, for alerting; queried only when /metrics is scraped (cached).
        self.telemetry.add_collector(ModelMixGaugeCollector(engine))
        self.writer = PostgresWriter(engine, pricer=pricer, on_pricing_error=self.telemetry.pricing_errors.inc)
        self.batcher = Batcher(
            self.writer, max_batch_spans=settings.batch_max_spans,
            max_delay_s=settings.batch_max_delay_ms / 1000.0, max_queue_spans=settings.queue_max_spans,
            on_batch=self._record_batch,
        )
        self.telemetry.track_queue_depth(lambda: self.batcher.depth)
        self.auth = TokenAuth(settings.ingest_tokens)
        self.ingest = TraceIngest(settings, self.batcher, self.telemetry)
        self.http_port: int | None = None
        self.grpc_port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    @property
    def stats(self) -> BatcherStats:
        return self.batcher.stats

    @property
    def endpoints(self) -> Endpoints:
        host = self.settings.otlp_host
        shown = f"[{host}]" if ":" in host else host
        return Endpoints(http=f"http://{shown}:{self.http_port}", grpc=f"{shown}:{self.grpc_port}")

    def start(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            raise RuntimeError("the collector is already started")
        self.batcher.start()
        self._thread = threading.Thread(target=self._run_loop, name="modelmix-collector", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the collector did not start in time")
        if self._startup_error is not None:
            self._thread.join(timeout)
            self._thread = None
            self.batcher.shutdown(timeout)
            raise self._startup_error

    def force_flush(self, timeout: float | None = 30.0) -> bool:
        return self.batcher.force_flush(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None and self._loop is not None and self._stop_requested is not None:
            self._loop.call_soon_threadsafe(self._stop_requested.set)
            self._thread.join(timeout)
        self._thread = None
        if not self.batcher.shutdown(timeout):
            log.error("the writer did not finish within %.0fs; unwritten spans were not acknowledged", timeout)
        self.writer.close()

    def health(self) -> tuple[bool, dict[str, object]]:
        available = self.batcher.accepting
        return available, {"queue_depth_spans": self.batcher.depth,
                           "database": "ok" if available else "unavailable"}

    def _record_batch(self, spans: int, seconds: float, result: BatchResult | None) -> None:
        t = self.telemetry
        t.batch_spans.observe(spans)
        if result is None:
            t.write_failures.labels("unavailable").inc()
            return
        t.commit_seconds.observe(seconds)
        t.calls_written.inc(result.calls_written)
        t.skeletons_written.inc(result.skeletons_written)
        if result.duplicates:
            t.spans_duplicate.labels("stored").inc(result.duplicates)
        if result.rejected:
            t.spans_rejected.labels("write").inc(len(result.rejected))

    def _run_loop(self) -> None:
        try:
            import uvloop

            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover - uvloop is installed with uvicorn[standard]
            loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:
            if not self._ready.is_set():
                self._startup_error = exc
            else:
                log.exception("the collector's event loop failed")
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self) -> None:
        self._stop_requested = asyncio.Event()
        s = self.settings
        grpc_server = build_grpc_server(self.ingest, self.auth, self.telemetry, max_request_bytes=s.max_request_bytes,
                                        reuse_port=self.reuse_port)
        self.grpc_port = grpc_server.add_insecure_port(_grpc_address(s.otlp_host, s.otlp_grpc_port))
        if not self.grpc_port:
            raise OSError(f"cannot listen for OTLP/gRPC on {s.otlp_host}:{s.otlp_grpc_port}")
        sock = _listen(s.otlp_host, s.otlp_http_port, reuse_port=self.reuse_port)
        self.http_port = sock.getsockname()[1]
        edge = HttpEdge(self.ingest, self.auth, self.telemetry, max_request_bytes=s.max_request_bytes,
                        health=self.health)
        config = uvicorn.Config(edge.app(), http="httptools", lifespan="off", access_log=False,
                                log_config=None, log_level="warning", timeout_graceful_shutdown=GRACE_SECONDS)
        http_server = uvicorn.Server(config)
        await grpc_server.start()
        http_task = asyncio.create_task(http_server.serve(sockets=[sock]))
        try:
            while not http_server.started:
                if http_task.done():
                    http_task.result()
                    raise RuntimeError("the OTLP/HTTP server stopped while starting")
                await asyncio.sleep(0.01)
            self._ready.set()
            log.info("OTLP/HTTP on %s, OTLP/gRPC on %s", self.endpoints.http, self.endpoints.grpc)
            await self._stop_requested.wait()
        finally:
            http_server.should_exit = True
            await asyncio.gather(http_task, grpc_server.stop(GRACE_SECONDS), return_exceptions=True)
            sock.close()


def _grpc_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _listen(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(2048)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def create_collector(settings: Settings, engine: Engine, *, pricer: Pricer | None = None,
                     reuse_port: bool = False) -> Collector:
    """A collector for ``settings`` writing through ``engine``; call ``start()`` to serve."""
    return Collector(settings, engine, pricer=pricer, reuse_port=reuse_port)
