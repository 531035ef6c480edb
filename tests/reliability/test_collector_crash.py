"""``kill -9`` the collector process mid-load, start it again on the same ports, keep exporting.

Nothing the collector acknowledged before it died may be missing (it acknowledges only after the
commit), and the batches the SDK exporters resend — those cut off by the crash and a few it had
already acknowledged, as a client that lost the responses would — must not be stored twice.
"""

from __future__ import annotations

import time

from opentelemetry.sdk.trace.export import SpanExportResult
from sqlalchemy import Engine

from tests.reliability.conftest import CollectorPool, Record
from tests.reliability.exporting import ExportLoop, Ledger, make_exporter
from tests.reliability.storage import tally

RESENT_ACKNOWLEDGED_BATCHES = 10


def test_kill_9_loses_nothing_acknowledged_and_resends_are_stored_once(
        db_url: str, engine: Engine, collectors: CollectorPool, figures: Record) -> None:
    collector = collectors.start(db_url)
    ledger = Ledger()
    loops = [ExportLoop(transport, make_exporter(transport, collector.traces_url, collector.grpc_target, 15.0),
                        ledger, pause_s=0.01)
             for transport in ("http", "grpc")]
    for loop in loops:
        loop.start()
    time.sleep(2.0)
    collector.kill()
    killed_at = time.monotonic()
    acknowledged_before_kill = len(ledger.acknowledged)
    assert acknowledged_before_kill > 0
    time.sleep(1.0)
    restarted = collectors.restart(collector)
    back_at = time.monotonic()
    time.sleep(2.0)
    for loop in loops:
        loop.finish()
    failed_exports = ledger.failed_exports
    in_flight_at_kill = ledger.exports_spanning(killed_at)
    for loop in loops:
        loop.resend_pending()
    first_ack_after_restart = ledger.first_ack_after(back_at)

    # A client that never saw the responses sends acknowledged batches once more.
    again = ledger.acked_batches[-RESENT_ACKNOWLEDGED_BATCHES:]
    resend_results = [loops[i % 2].exporter.export(batch) for i, batch in enumerate(again)]
    for loop in loops:
        loop.exporter.shutdown()
    result = tally(engine, ledger.sent, ledger.acknowledged)
    figures(sent=result.sent, acknowledged=result.acknowledged, acknowledged_before_kill=acknowledged_before_kill,
            stored=result.stored, duplicated=result.duplicated, acknowledged_missing=result.acknowledged_missing,
            exports_in_flight_at_kill=in_flight_at_kill, exports_failed_then_resent=failed_exports, acknowledged_batches_resent=len(again),
            restart_s=round(back_at - killed_at, 3),
            first_ack_after_restart_s=None if first_ack_after_restart is None
            else round(first_ack_after_restart - back_at, 3))

    assert in_flight_at_kill > 0, "no export was under way when the collector was killed"
    assert resend_results == [SpanExportResult.SUCCESS] * len(again)
    assert result.acknowledged_missing == 0
    assert result.duplicated == 0
    assert result.stored_unsent == 0
    assert all(not loop.pending for loop in loops), "a resent batch was never acknowledged"
    assert result.acknowledged == result.sent == result.stored
    assert restarted.stop() == 0, restarted.output
