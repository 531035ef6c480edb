"""The ``modelmix assemble --loop`` service: assemble settled traces every interval, maintain hourly.

Every ``MODELMIX_ASSEMBLE_INTERVAL_SECONDS`` it assembles the traces quiet for
``MODELMIX_SETTLE_SECONDS`` (a backlog is worked without waiting, a bounded number of batches at a
time so a stop request is honoured promptly). Once an hour — and at start — it applies retention and
creates the coming weekly partitions. The model ranking (prices, tiers) is reloaded every few
minutes. A database error is logged and retried on the next tick; the service keeps running.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from modelmix.assembly.assembler import assemble_pending
from modelmix.assembly.ranking import ModelRanking, load_ranking
from modelmix.db.partitions import ensure_upcoming
from modelmix.retention import apply_retention
from modelmix.settings import Settings

log = logging.getLogger(__name__)

MAINTENANCE_EVERY_SECONDS = 3600.0
RANKING_TTL_SECONDS = 300.0
BATCHES_PER_TICK = 50


def maintain(engine: Engine, settings: Settings) -> None:
    """Hourly upkeep: retention, then partitions for the coming weeks."""
    result = apply_retention(
        engine, retention_days=settings.retention_days,
        skeleton_retention_days=settings.skeleton_retention_days,
    )
    if result.call_partitions or result.skeleton_partitions:
        log.info("retention dropped %s and %s", result.call_partitions, result.skeleton_partitions)
    with engine.begin() as conn:
        ensure_upcoming(conn, datetime.now(UTC))


def run_loop(
    engine: Engine,
    settings: Settings,
    stop: threading.Event,
    *,
    ranking_factory: Callable[[Engine], ModelRanking] = load_ranking,
    maintenance_every: float = MAINTENANCE_EVERY_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run until ``stop`` is set."""
    ranking: ModelRanking | None = None
    ranking_loaded = 0.0
    next_maintenance = clock()
    log.info("assembler running: settle %.1fs, interval %.1fs",
             settings.settle_seconds, settings.assemble_interval_seconds)
    while not stop.is_set():
        backlog = False
        try:
            if ranking is None or clock() - ranking_loaded >= RANKING_TTL_SECONDS:
                ranking, ranking_loaded = ranking_factory(engine), clock()
            stats = assemble_pending(
                engine, ranking=ranking, settle_seconds=settings.settle_seconds, max_batches=BATCHES_PER_TICK
            )
            if stats.traces:
                log.info("assembled %d traces, %d calls, %d runs in %.2fs",
                         stats.traces, stats.calls, stats.runs, stats.seconds)
            backlog = stats.batches >= BATCHES_PER_TICK
            if clock() >= next_maintenance:
                maintain(engine, settings)
                next_maintenance = clock() + maintenance_every
        except SQLAlchemyError as exc:
            log.warning("assembler tick failed, retrying next tick: %s", exc)
        if not backlog:
            stop.wait(settings.assemble_interval_seconds)
