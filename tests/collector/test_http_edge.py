"""OTLP/HTTP edge: every status code, both encodings, gzip, auth, limits, health and metrics."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from google.protobuf.json_format import Parse
from google.rpc.error_details_pb2 import RetryInfo
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from sqlalchemy import Engine, text

from collector.app import Collector
from modelmix.db.engine import libpq_url
from tests.collector.conftest import StartCollector
from tests.collector.factories import collector_settings, count
from tests.collector.otlp_helpers import chat_span, export_request, gzip_bomb, to_otlp_json

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}
TOKEN = "s3cret-ingest-token"


def post(collector: Collector, body: bytes, headers: dict[str, str], path: str = "/v1/traces",
         timeout: float = 30.0) -> httpx.Response:
    return httpx.post(collector.endpoints.http + path, content=body, headers=headers, timeout=timeout)


def status_of(response: httpx.Response) -> Status:
    if response.headers["content-type"].startswith("application/json"):
        return Parse(response.text, Status())
    return Status.FromString(response.content)


def test_protobuf_export_is_committed_before_the_200(collector: Collector, engine: Engine) -> None:
    request = export_request(chat_span(input_tokens=321, output_tokens=45), chat_span(model="gpt-4o",
                                                                                      response_model=None))
    response = post(collector, request.SerializeToString(), PROTOBUF)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    assert not ExportTraceServiceResponse.FromString(response.content).HasField("partial_success")
    with engine.connect() as conn:  # no flush: the answer came after the commit
        rows = conn.execute(text("SELECT request_model, model, input_tokens, output_tokens, service "
                                 "FROM llm_calls ORDER BY request_model")).all()
    assert [tuple(r) for r in rows] == [("gpt-4o", "gpt-4o", 100, 20, "svc-edge"),
                                        ("gpt-4o-mini", "gpt-4o-mini-2024-07-18", 321, 45, "svc-edge")]


def test_json_export_is_answered_in_json(collector: Collector, engine: Engine) -> None:
    response = post(collector, to_otlp_json(export_request(chat_span())), JSON)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.text) == {}
    assert count(engine, "llm_calls") == 1


def test_gzip_bodies_are_inflated(collector: Collector, engine: Engine) -> None:
    body = gzip.compress(export_request(chat_span(), chat_span()).SerializeToString())
    response = post(collector, body, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert count(engine, "llm_calls") == 2


def test_partial_success_counts_rejected_spans(collector: Collector, engine: Engine) -> None:
    ancient = chat_span(start_ns=1_000_000_000)  # 1970: far older than MODELMIX_MAX_SPAN_AGE_DAYS
    request = export_request(chat_span(), ancient, chat_span())
    for body, headers in ((request.SerializeToString(), PROTOBUF), (to_otlp_json(request), JSON)):
        response = post(collector, body, headers)
        assert response.status_code == 200
        if headers is JSON:
            partial = json.loads(response.text)["partialSuccess"]
            assert int(partial["rejectedSpans"]) == 1 and partial["errorMessage"]
        else:
            parsed = ExportTraceServiceResponse.FromString(response.content)
            assert parsed.partial_success.rejected_spans == 1
            assert parsed.partial_success.error_message
    assert count(engine, "llm_calls") == 2


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"\xff\xff\xff\xff garbage", PROTOBUF),
        (b"{not json", JSON),
        (b'{"resourceSpans": 5}', JSON),
        (b"[1, 2, 3]", JSON),
        (b"\x1f\x8b\x08\x00 not really gzip", {**PROTOBUF, "Content-Encoding": "gzip"}),
        (gzip.compress(b"x" * 5000)[:40], {**JSON, "Content-Encoding": "gzip"}),  # truncated
    ],
    ids=["protobuf-garbage", "json-syntax", "json-shape", "json-array", "gzip-corrupt", "gzip-truncated"],
)
def test_undecodable_bodies_get_400_with_a_status(collector: Collector, engine: Engine, body: bytes,
                                                  headers: dict[str, str]) -> None:
    response = post(collector, body, headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == headers["Content-Type"]
    status = status_of(response)
    assert status.code == 3 and status.message  # INVALID_ARGUMENT, and it says why
    assert count(engine, "llm_calls") == 0


def test_unsupported_media_type_or_encoding_gets_415(collector: Collector) -> None:
    body = export_request(chat_span()).SerializeToString()
    for headers in ({"Content-Type": "text/plain"}, {}, {**PROTOBUF, "Content-Encoding": "br"},
                    {**PROTOBUF, "Content-Encoding": "deflate"}):
        response = post(collector, body, headers)
        assert response.status_code == 415, headers
        assert status_of(response).message


def test_missing_or_wrong_token_gets_401(start_collector: StartCollector, engine: Engine,
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    collector = start_collector(collector_settings(ingest_tokens=("other-token-1", TOKEN)))
    body = export_request(chat_span()).SerializeToString()
    for auth in (None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"):
        headers = dict(PROTOBUF) if auth is None else {**PROTOBUF, "Authorization": auth}
        response = post(collector, body, headers)
        assert response.status_code == 401, auth
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in response.text
    assert count(engine, "llm_calls") == 0
    assert post(collector, body, {**PROTOBUF, "Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert post(collector, body, {**PROTOBUF, "Authorization": "bearer other-token-1"}).status_code == 200
    assert count(engine, "llm_calls") == 1
    assert TOKEN not in caplog.text


def test_bodies_over_the_limit_get_413(start_collector: StartCollector, engine: Engine) -> None:
    limit = 64 * 1024
    collector = start_collector(collector_settings(max_request_bytes=limit))
    big = export_request(*[chat_span(extra={"note": "n" * 2000}) for _ in range(40)]).SerializeToString()
    assert len(big) > limit
    assert post(collector, big, PROTOBUF).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while reading
        for start in range(0, len(big), 8192):
            yield big[start:start + 8192]

    response = httpx.post(collector.endpoints.http + "/v1/traces", content=chunks(), headers=PROTOBUF)
    assert response.status_code == 413
    small = export_request(chat_span()).SerializeToString()
    assert post(collector, small, PROTOBUF).status_code == 200
    assert count(engine, "llm_calls") == 1


def test_a_gzip_bomb_is_cut_off_at_the_limit(start_collector: StartCollector) -> None:
    collector = start_collector(collector_settings(max_request_bytes=1024 * 1024))
    bomb = gzip_bomb(256 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024  # the compressed body itself is within the limit
    response = post(collector, bomb, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert status_of(response).code == 8  # RESOURCE_EXHAUSTED


def test_full_queue_gets_503_with_retry_after(start_collector: StartCollector, engine: Engine) -> None:
    collector = start_collector(collector_settings(queue_max_spans=100, batch_max_spans=1000))
    assert post(collector, export_request(chat_span()).SerializeToString(), PROTOBUF).status_code == 200
    blocker = psycopg.connect(libpq_url(engine.url.render_as_string(hide_password=False)))
    blocker.execute("LOCK TABLE trace_activity IN EXCLUSIVE MODE")  # the writer stalls behind it
    held: list[httpx.Response] = []
    first = export_request(*[chat_span() for _ in range(60)]).SerializeToString()
    sender = threading.Thread(target=lambda: held.append(post(collector, first, PROTOBUF)))
    sender.start()
    deadline = time.monotonic() + 10
    while collector.batcher.depth < 60 and time.monotonic() < deadline:
        time.sleep(0.02)
    second = export_request(*[chat_span() for _ in range(50)]).SerializeToString()
    refused = post(collector, second, PROTOBUF)
    assert refused.status_code == 503
    assert int(refused.headers["retry-after"]) >= 1
    status = status_of(refused)
    assert status.code == 14  # UNAVAILABLE
    info = RetryInfo()
    assert status.details[0].Unpack(info) and info.retry_delay.ToTimedelta().total_seconds() > 0
    blocker.rollback()
    blocker.close()
    sender.join(30)
    assert held[0].status_code == 200
    assert post(collector, second, PROTOBUF).status_code == 200  # the client's retry
    assert count(engine, "llm_calls") == 111


def test_a_resent_request_is_stored_once(collector: Collector, engine: Engine) -> None:
    body = export_request(chat_span(), chat_span(), chat_span()).SerializeToString()
    assert post(collector, body, PROTOBUF).status_code == 200
    assert post(collector, body, PROTOBUF).status_code == 200
    assert count(engine, "llm_calls") == 3
    metrics = httpx.get(collector.endpoints.http + "/metrics").text
    assert 'modelmix_collector_spans_duplicate_total{rule="stored"} 3.0' in metrics


def test_logs_are_validated_and_never_stored(collector: Collector, engine: Engine) -> None:
    logs = {"resourceLogs": [{"resource": {}, "scopeLogs": [{"scope": {}, "logRecords": [
        {"timeUnixNano": "1700000000000000000", "body": {"stringValue": "user prompt: tell me a secret"}}]}]}]}
    response = post(collector, json.dumps(logs).encode(), JSON, path="/v1/logs")
    assert response.status_code == 200 and json.loads(response.text) == {}
    assert post(collector, b"{oops", JSON, path="/v1/logs").status_code == 400
    assert post(collector, b"\xff\xff\xff", PROTOBUF, path="/v1/logs").status_code == 400
    assert sum(count(engine, t) for t in ("llm_calls", "span_skeletons", "trace_activity")) == 0


def test_metrics_exports_are_acknowledged(collector: Collector) -> None:
    response = post(collector, b"", PROTOBUF, path="/v1/metrics")
    assert response.status_code == 200 and response.content == b""
    assert post(collector, b"{}", JSON, path="/v1/metrics").text == "{}"


def test_health_and_prometheus_metrics(collector: Collector) -> None:
    health = httpx.get(collector.endpoints.http + "/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    body = export_request(chat_span(), chat_span(), chat_span(start_ns=1)).SerializeToString()
    assert post(collector, body, PROTOBUF).status_code == 200
    assert post(collector, b"junk", PROTOBUF).status_code == 400
    metrics = httpx.get(collector.endpoints.http + "/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    expected = [
        'modelmix_collector_spans_received_total{transport="http"} 3.0',
        "modelmix_collector_spans_accepted_total 2.0",
        'modelmix_collector_spans_rejected_total{stage="decode"} 1.0',
        "modelmix_collector_calls_written_total 2.0",
        'modelmix_collector_requests_total{signal="traces",status="200",transport="http"} 1.0',
        'modelmix_collector_requests_total{signal="traces",status="400",transport="http"} 1.0',
        "modelmix_collector_queue_depth_spans 0.0",
        "modelmix_collector_batch_spans_count 1.0",
        "modelmix_collector_commit_seconds_count 1.0",
    ]
    for line in expected:
        assert line in metrics.text, line


def test_gauge_sources_appear_on_the_metrics_endpoint(collector: Collector) -> None:
    collector.telemetry.add_gauge_source("modelmix_model_share_calls", "Share of calls per model.",
                                         ["model"], lambda: [(["gpt-4o"], 0.25), (["gpt-4o-mini"], 0.75)])

    def broken() -> list[tuple[list[str], float]]:
        raise RuntimeError("rollups unavailable")

    collector.telemetry.add_gauge_source("modelmix_broken_source", "Fails on every scrape.", [], broken)
    metrics = httpx.get(collector.endpoints.http + "/metrics")
    assert metrics.status_code == 200
    assert 'modelmix_model_share_calls{model="gpt-4o-mini"} 0.75' in metrics.text
    assert "modelmix_broken_source " not in metrics.text
