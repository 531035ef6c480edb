"""A request that cannot be queued is refused before the collector spends a decode on it.

Shedding must be cheap, or an overloaded collector spends its CPU decoding requests it then
refuses and its 503s arrive seconds late. The writer is held on a table lock so the small queue
stays full; a 10,000-span request (whose decode alone takes over half a second) must then be
answered 503 with Retry-After in a fraction of that time.
"""

from __future__ import annotations

import threading
import time

import httpx
import psycopg
from sqlalchemy import Engine

from collector.app import create_collector
from modelmix.conventions import decode_traces
from modelmix.db.engine import libpq_url
from tests.collector.factories import collector_settings
from tests.collector.otlp_helpers import chat_span, export_request
from tests.reliability.conftest import Record
from tests.reliability.load import PROTOBUF
from tests.reliability.storage import stored_span_counts


def _wait_for_depth(http_base: str, depth: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if httpx.get(http_base + "/health", timeout=10).json()["queue_depth_spans"] == depth:
            return
        time.sleep(0.02)
    raise AssertionError(f"the queue never held {depth} spans")


def test_a_full_queue_refuses_a_big_request_without_decoding_it(db_url: str, engine: Engine,
                                                                figures: Record) -> None:
    spans = 40_000  # about 12 MB: long enough to decode (about 25 µs a span) that skipping it shows
    big = export_request(*[chat_span() for _ in range(spans)])
    began = time.perf_counter()
    decode_traces(big, capture_content=False, attributes_max_bytes=8192, max_span_age_days=400)
    decode_s = time.perf_counter() - began
    assert decode_s > 0.5, "the request is too cheap to decode to show anything"
    big_body = big.SerializeToString()
    small = export_request(*[chat_span() for _ in range(100)])

    collector = create_collector(collector_settings(queue_max_spans=100, batch_max_spans=100), engine)
    collector.start()
    base = collector.endpoints.http
    blocker = psycopg.connect(libpq_url(db_url))
    try:
        blocker.execute("LOCK TABLE llm_calls IN ACCESS EXCLUSIVE MODE")  # the writer waits on this
        answers: list[int] = []
        sender = threading.Thread(target=lambda: answers.append(httpx.post(
            base + "/v1/traces", content=small.SerializeToString(), headers=PROTOBUF, timeout=60).status_code))
        sender.start()
        _wait_for_depth(base, 100)
        began = time.perf_counter()
        refused = httpx.post(base + "/v1/traces", content=big_body, headers=PROTOBUF, timeout=60)
        refused_s = time.perf_counter() - began
    finally:
        blocker.rollback()
        blocker.close()
    sender.join(60)
    collector.stop()
    figures(spans_in_request=spans, decode_s=round(decode_s, 3), refused_in_ms=round(refused_s * 1000, 1),
            status=refused.status_code, retry_after=refused.headers.get("retry-after"))

    assert refused.status_code == 503 and int(refused.headers["retry-after"]) >= 1
    assert refused_s < decode_s / 4, f"the refusal took {refused_s:.3f}s; decoding takes {decode_s:.3f}s"
    assert answers == [200]
    small_ids = {s.span_id for s in small.resource_spans[0].scope_spans[0].spans}
    assert small_ids <= stored_span_counts(engine).keys()
