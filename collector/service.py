"""``serve``: run the collector as a process until SIGINT/SIGTERM, then flush and exit cleanly.

Called by ``modelmix collector`` (and, as a child process, by ``modelmix up``). With
``MODELMIX_COLLECTOR_WORKERS`` above 1 it starts that many worker processes sharing the ports
instead (``collector.workers``), each running ``run_collector``. Calls are priced
with ``modelmix.pricing.PriceBook``; operator price overrides are re-read every
``PRICE_REFRESH_SECONDS`` so new overrides apply to calls that arrive afterwards.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from sqlalchemy import Engine

from collector.app import Endpoints, create_collector
from modelmix.db.engine import make_engine
from modelmix.pricing import PriceBook
from modelmix.settings import Settings

log = logging.getLogger(__name__)

PRICE_REFRESH_SECONDS = 60.0
# Decoding allocates many short-lived containers per span. With CPython's default thresholds
# (700, 10, 10) the cyclic garbage collector runs every few hundred allocations and keeps rescanning
# the batches waiting in the queue: measured at about a third of the decode-and-price CPU. Nearly
# everything the collector allocates is freed by reference counting (records hold no cycles), so
# collections can be rare; objects alive after start-up are frozen out of every collection.
GC_THRESHOLDS = (100_000, 50, 100)


def tune_garbage_collector() -> None:
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _refresh_prices(book: PriceBook, engine: Engine, stop: threading.Event) -> None:
    while not stop.wait(PRICE_REFRESH_SECONDS):
        try:
            book.refresh(engine)
        except Exception:
            log.exception("reloading price overrides failed; the previous prices stay in force")


def announce_endpoints(endpoints: Endpoints, note: str = "") -> None:
    """The start-up line operators (and tests) read the listening addresses from."""
    print(f"collector: OTLP/HTTP {endpoints.http}/v1/traces, OTLP/gRPC {endpoints.grpc}, "
          f"metrics {endpoints.http}/metrics{note}", flush=True)


def serve(settings: Settings, database_url: str) -> None:
    """Serve OTLP on the configured host and ports until a stop signal arrives."""
    if settings.collector_workers > 1:
        from collector.workers import serve_workers

        serve_workers(settings, database_url)
        return
    run_collector(settings, database_url, on_ready=announce_endpoints)


def run_collector(settings: Settings, database_url: str, *, on_ready: Callable[[Endpoints], None],
                  reuse_port: bool = False) -> None:
    """One collector in this process until SIGINT/SIGTERM; ``on_ready`` is called once it listens."""
    tune_garbage_collector()
    engine = make_engine(database_url, pool_size=2, max_overflow=2)
    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    book = PriceBook.load(engine)
    collector = create_collector(settings, engine, pricer=book.price, reuse_port=reuse_port)
    refresher = threading.Thread(target=_refresh_prices, args=(book, engine, stop),
                                 name="modelmix-price-refresh", daemon=True)
    try:
        collector.start()
        refresher.start()
        on_ready(collector.endpoints)
        stop.wait()
    finally:
        stop.set()
        collector.stop()
        engine.dispose()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("collector stopped; every acknowledged span is committed")
