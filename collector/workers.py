"""Several collector processes on the same ports, so decoding uses more than one core.

``serve_workers`` starts ``MODELMIX_COLLECTOR_WORKERS`` worker processes. Each runs a complete
collector (``collector.service.run_collector``: its own event loop, write queue, writer connection
and price book) listening with SO_REUSEPORT on the same OTLP/HTTP and OTLP/gRPC ports; the kernel
spreads incoming connections over them. Port 0 is resolved to one free port first (held by a
bound, non-listening placeholder socket until the workers listen), so every worker shares it.

The parent announces the endpoints once every worker listens, forwards SIGINT/SIGTERM as SIGTERM
(each worker writes what it has queued before exiting, as a single collector does), and stops
everything with an error when a worker dies, so a supervisor restarts the group. Each worker answers
``/metrics`` and ``/health`` for itself; queue limits (``MODELMIX_QUEUE_MAX_SPANS``) are per worker.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import signal
import socket
import threading
import time
from types import FrameType
from typing import Any

from collector.app import GRACE_SECONDS, Endpoints
from modelmix.settings import Settings

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = GRACE_SECONDS + 50.0


class WorkerFailed(RuntimeError):
    """A worker process could not start, or exited while the others were serving."""


def _reserve_port(host: str) -> socket.socket:
    """A bound (not listening) SO_REUSEPORT socket on a free port; the workers join that port."""
    family, kind, proto, _, address = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def _worker_main(settings: Settings, database_url: str, index: int, ready: Any) -> None:
    """Body of one worker process: a collector with SO_REUSEPORT until SIGTERM."""
    logging.basicConfig(level=settings.log_level, format=f"%(asctime)s %(levelname)s worker-{index} %(name)s: "
                        "%(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops the workers
    from collector.service import run_collector

    try:
        run_collector(settings, database_url, on_ready=lambda _endpoints: ready.put((index, None)),
                      reuse_port=True)
    except BaseException as exc:
        ready.put((index, f"{type(exc).__name__}: {exc}"))
        raise


def _endpoints(host: str, http_port: int, grpc_port: int) -> Endpoints:
    shown = f"[{host}]" if ":" in host else host
    return Endpoints(http=f"http://{shown}:{http_port}", grpc=f"{shown}:{grpc_port}")


def _stop_all(processes: list[Any]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: the worker flushes its queue and exits
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes:
        process.join(max(0.1, deadline - time.monotonic()))
        if process.is_alive():
            log.error("worker %s did not stop in time; killing it", process.name)
            process.kill()
            process.join(5)


def _wait_ready(processes: list[Any], ready: Any, stop: threading.Event) -> None:
    started: set[int] = set()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while len(started) < len(processes):
        if stop.is_set():
            return
        if time.monotonic() > deadline:
            raise WorkerFailed(f"only {len(started)} of {len(processes)} collector workers started in time")
        try:
            index, error = ready.get(timeout=0.2)
        except queue.Empty:
            dead = [p for p in processes if p.exitcode is not None]
            if dead:
                raise WorkerFailed(f"collector worker {dead[0].name} exited (code {dead[0].exitcode}) "
                                   "while starting") from None
            continue
        if error is not None:
            raise WorkerFailed(f"collector worker {index} could not start: {error}")
        started.add(index)


def serve_workers(settings: Settings, database_url: str) -> None:
    """Run ``settings.collector_workers`` collector processes on shared ports until a stop signal."""
    host = settings.otlp_host
    placeholders: list[socket.socket] = []
    ports = []
    for port in (settings.otlp_http_port, settings.otlp_grpc_port):
        if port == 0:
            placeholders.append(_reserve_port(host))
            port = placeholders[-1].getsockname()[1]
        ports.append(port)
    worker_settings = settings.with_overrides(otlp_http_port=ports[0], otlp_grpc_port=ports[1])
    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; stopping the collector workers", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    context = mp.get_context("spawn")
    ready = context.Queue()
    processes = [context.Process(target=_worker_main, args=(worker_settings, database_url, i, ready),
                                 name=f"modelmix-collector-{i}")
                 for i in range(settings.collector_workers)]
    try:
        for process in processes:
            process.start()
        _wait_ready(processes, ready, stop)
        for placeholder in placeholders:
            placeholder.close()
        if stop.is_set():
            return
        from collector.service import announce_endpoints

        announce_endpoints(_endpoints(host, ports[0], ports[1]), f" ({len(processes)} worker processes)")
        while not stop.wait(0.5):
            dead = [p for p in processes if p.exitcode is not None]
            if dead and not stop.is_set():  # (Ctrl-C reaches the workers too; that is a stop, not a failure)
                raise WorkerFailed(f"collector worker {dead[0].name} exited (code {dead[0].exitcode}); "
                                   "stopping the others")
    finally:
        for placeholder in placeholders:
            placeholder.close()
        _stop_all(processes)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("collector workers stopped")
