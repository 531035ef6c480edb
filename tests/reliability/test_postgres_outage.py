"""PostgreSQL goes away for a while (8 s; 30 s in the soak variant) while SDK exporters keep sending.

The collector (a real ``modelmix collector`` process) writes to a private embedded PostgreSQL that
the test stops and starts again. While it is down the collector must answer retryable errors (HTTP
503 with Retry-After, gRPC UNAVAILABLE) and stay up; afterwards every acknowledged span must be
stored exactly once, and batches the exporters gave up on are stored once when they are resent.
"""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import Engine

from modelmix.db.engine import make_engine
from tests.reliability.conftest import CollectorPool, PrivatePostgres, Record, soak_variant
from tests.reliability.exporting import ExportLoop, Ledger, make_exporter
from tests.reliability.processes import request_counts
from tests.reliability.storage import tally

EXPORT_TIMEOUT_SECONDS = 5.0  # shorter than the outage: some exports give up and are resent later


def _health(http_base: str) -> int:
    return httpx.get(http_base + "/health", timeout=10).status_code


@pytest.mark.parametrize("outage_s", [pytest.param(8.0, id="8s"), soak_variant(30.0)])
def test_outage_answers_retry_and_stores_every_acknowledged_span_once(
        private_postgres: PrivatePostgres, collectors: CollectorPool, figures: Record, outage_s: float) -> None:
    collector = collectors.start(private_postgres.url)
    ledger = Ledger()
    loops = [ExportLoop(transport, make_exporter(transport, collector.traces_url, collector.grpc_target,
                                                 EXPORT_TIMEOUT_SECONDS), ledger)
             for transport in ("http", "grpc")]
    for loop in loops:
        loop.start()
    time.sleep(2.0)
    acknowledged_before = len(ledger.acknowledged)
    assert acknowledged_before > 0, "nothing was acknowledged before the outage"

    private_postgres.stop()
    down_at = time.monotonic()
    health_during: set[int] = set()
    while time.monotonic() - down_at < outage_s:
        assert collector.alive(), f"the collector died during the outage:\n{collector.output}"
        health_during.add(_health(collector.http_base))
        time.sleep(0.5)
    sent_during_outage = len(ledger.sent)
    private_postgres.start()
    up_at = time.monotonic()
    time.sleep(3.0)
    for loop in loops:
        loop.finish()
    failed_exports = ledger.failed_exports
    pending_batches = sum(len(loop.pending) for loop in loops)
    for loop in loops:
        loop.resend_pending()
        loop.exporter.shutdown()
    first_ack = ledger.first_ack_after(up_at)
    assert collector.alive(), collector.output
    counts = request_counts(collector.http_base)
    assert _health(collector.http_base) == 200

    engine: Engine = make_engine(private_postgres.url)
    try:
        result = tally(engine, ledger.sent, ledger.acknowledged)
    finally:
        engine.dispose()
    http_503 = counts.get(("http", "503"), 0.0)
    grpc_unavailable = counts.get(("grpc", "UNAVAILABLE"), 0.0)
    figures(outage_s=outage_s, sent=result.sent, acknowledged=result.acknowledged,
            stored=result.stored, duplicated=result.duplicated, acknowledged_missing=result.acknowledged_missing,
            exports_failed_then_resent=failed_exports, batches_pending_after_outage=pending_batches,
            http_503=int(http_503), grpc_unavailable=int(grpc_unavailable),
            recovery_s=None if first_ack is None else round(first_ack - up_at, 3),
            other_statuses={k: v for k, v in counts.items() if k[1] not in ("200", "503", "OK", "UNAVAILABLE")})

    assert 503 in health_during, "health did not report the database outage"
    assert http_503 > 0 and grpc_unavailable > 0, f"no retryable answers during the outage: {counts}"
    assert set(k[1] for k in counts) <= {"200", "503", "OK", "UNAVAILABLE"}, counts
    assert sent_during_outage > acknowledged_before
    assert result.acknowledged_missing == 0
    assert result.duplicated == 0
    assert result.stored_unsent == 0
    assert all(not loop.pending for loop in loops), "a resent batch was never acknowledged"
    assert result.acknowledged == result.sent == result.stored  # after the resends, everything arrived once
    assert first_ack is not None
    assert collector.stop() == 0, collector.output
