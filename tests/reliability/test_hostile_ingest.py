"""Hostile OTLP through the real edges into PostgreSQL: never a 500, never a dead writer.

Property-based (hypothesis) requests mix one good chat span with hostile ones — wrong types, huge
and NUL-bearing strings, NaN / negative / absurd token counts, absurd timestamps, all-zero ids,
nested kvlists — over protobuf, OTLP/JSON (with wrong-typed fields) and gRPC, plus arbitrary bytes.
Spans the OTLP rules call invalid must be rejected through ``partial_success``; every other span,
and the good one, must be stored; stored numbers must be sane.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import grpc
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from sqlalchemy import Engine, text

from collector.app import Collector, create_collector
from tests.collector.factories import collector_settings
from tests.collector.otlp_helpers import chat_span, export_request, to_otlp_json
from tests.reliability.hostile import (
    deeply_nested_request,
    hostile_spans,
    must_be_rejected,
    nested_value,
    now_ns,
    plainly_valid,
)
from tests.reliability.hostile import values as hostile_values

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.data_too_large])


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.fixture(scope="module")
def ingest(module_engine: Engine, errors: ErrorLog) -> Iterator[Collector]:
    collector = create_collector(collector_settings(), module_engine)
    collector.start()
    yield collector
    collector.stop()


@pytest.fixture(scope="module")
def http(ingest: Collector) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=ingest.endpoints.http, timeout=60) as client:
        yield client


def _stored(engine: Engine, span_ids: list[bytes]) -> set[bytes]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT span_id FROM llm_calls WHERE span_id = ANY(:ids) "
                                 "UNION ALL SELECT span_id FROM span_skeletons WHERE span_id = ANY(:ids)"),
                            {"ids": span_ids})
        return {bytes(r[0]) for r in rows}


def _assert_sane_rows(engine: Engine, span_ids: list[bytes]) -> None:
    with engine.connect() as conn:
        bad = conn.execute(text(
            "SELECT span_id FROM llm_calls WHERE span_id = ANY(:ids) AND ("
            " input_tokens < 0 OR output_tokens < 0 OR cache_read_tokens < 0 OR cache_write_tokens < 0"
            " OR reasoning_tokens < 0 OR input_tokens > 1e12 OR output_tokens > 1e12"
            " OR cost_usd = 'NaN' OR cost_usd < 0 OR reported_cost_usd = 'NaN' OR reported_cost_usd < 0"
            " OR status NOT IN ('ok', 'error') OR start_time > now() + interval '1 day')"),
            {"ids": span_ids}).all()
    assert not bad, f"rows with impossible values: {bad}"


def _check_partial_success(engine: Engine, good: Span, hostile: list[Span], response: httpx.Response,
                           now: int) -> None:
    assert response.status_code == 200, response.content[:500]
    answer = ExportTraceServiceResponse()
    if response.headers["content-type"].startswith("application/json"):
        body = json.loads(response.content)
        rejected = int(body.get("partialSuccess", {}).get("rejectedSpans", 0))
    else:
        answer.ParseFromString(response.content)
        rejected = answer.partial_success.rejected_spans
    ids = [good.span_id] + [s.span_id for s in hostile]
    stored = _stored(engine, ids)
    assert good.span_id in stored, "the good span of the request was not stored"
    for span in hostile:
        if must_be_rejected(span, now):
            assert span.span_id not in stored, "an invalid span was stored"
        elif plainly_valid(span, now):
            assert span.span_id in stored, f"a valid span was lost: {str(span)[:400]}"
    assert rejected == len(hostile) - sum(s.span_id in stored for s in hostile)
    _assert_sane_rows(engine, ids)


@FUZZ
@given(hostile=st.lists(hostile_spans(), min_size=1, max_size=3), service=st.text(max_size=20))
def test_protobuf_hostile_spans_are_rejected_one_by_one(http: httpx.Client, module_engine: Engine,
                                                        hostile: list[Span], service: str) -> None:
    good = chat_span()
    now = now_ns()
    request = export_request(good, *hostile, service=service or "svc")
    response = http.post("/v1/traces", content=request.SerializeToString(), headers=PROTOBUF)
    _check_partial_success(module_engine, good, hostile, response, now)


SPAN_FIELDS = ("traceId", "spanId", "parentSpanId", "name", "kind", "startTimeUnixNano", "endTimeUnixNano",
               "attributes", "status", "events", "links", "droppedAttributesCount")
json_garbage = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                            | st.text(max_size=30), lambda inner: st.lists(inner, max_size=3)
                            | st.dictionaries(st.text(max_size=10), inner, max_size=3), max_leaves=8)


@FUZZ
@given(hostile=st.lists(hostile_spans(), min_size=1, max_size=2),
       edits=st.lists(st.tuples(st.sampled_from(SPAN_FIELDS), json_garbage), max_size=3))
def test_json_with_wrong_typed_fields_is_refused_or_rejected_never_a_500(
        http: httpx.Client, module_engine: Engine, hostile: list[Span], edits: list[tuple[str, Any]]) -> None:
    good = chat_span()
    now = now_ns()
    document = json.loads(to_otlp_json(export_request(good, *hostile)))
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    for index, (field, garbage) in enumerate(edits):
        spans[1 + index % len(hostile)][field] = garbage
    response = http.post("/v1/traces", content=json.dumps(document).encode(), headers=JSON)
    if edits and response.status_code == 400:  # a wrong-typed field may make the whole document invalid
        assert json.loads(response.content)["message"]
        assert not _stored(module_engine, [good.span_id])
        return
    if edits:  # an edited span may still be accepted with other field values: only check the good span
        assert response.status_code == 200, response.content[:500]
        assert good.span_id in _stored(module_engine, [good.span_id])
        return
    _check_partial_success(module_engine, good, hostile, response, now)


@FUZZ
@given(body=st.binary(max_size=2_000), content_type=st.sampled_from(["application/x-protobuf", "application/json"]),
       compress=st.booleans())
def test_arbitrary_bytes_get_400_or_200_never_5xx(http: httpx.Client, body: bytes, content_type: str,
                                                  compress: bool) -> None:
    headers = {"Content-Type": content_type, **({"Content-Encoding": "gzip"} if compress else {})}
    response = http.post("/v1/traces", content=gzip.compress(body) if compress else body, headers=headers)
    assert response.status_code in (200, 400), (response.status_code, response.content[:300])


@FUZZ
@given(value=hostile_values, key=st.sampled_from(["gen_ai.usage.input_tokens", "gen_ai.request.model",
                                                  "modelmix.task", "gen_ai.usage.cost", "anything"]))
def test_grpc_hostile_attribute_values_never_fail_internally(ingest: Collector, module_engine: Engine,
                                                             value: AnyValue, key: str) -> None:
    good, odd = chat_span(), chat_span()
    odd.attributes.append(KeyValue(key=key, value=value))
    with grpc.insecure_channel(ingest.endpoints.grpc) as channel:
        answer = trace_service_pb2_grpc.TraceServiceStub(channel).Export(export_request(good, odd), timeout=60)
    assert answer.partial_success.rejected_spans == 0, answer.partial_success.error_message
    assert _stored(module_engine, [good.span_id, odd.span_id]) == {good.span_id, odd.span_id}


def test_ten_thousand_attributes_and_moderate_nesting_are_stored_within_the_budget(
        http: httpx.Client, module_engine: Engine) -> None:
    many = chat_span(extra={f"custom.attribute.{i}": f"value {i}" * 3 for i in range(10_000)})
    nested = chat_span()
    nested.attributes.append(KeyValue(key="deep", value=nested_value(25)))
    response = http.post("/v1/traces", content=export_request(many, nested).SerializeToString(), headers=PROTOBUF)
    assert response.status_code == 200
    assert ExportTraceServiceResponse.FromString(response.content).partial_success.rejected_spans == 0
    with module_engine.connect() as conn:
        kept = conn.execute(text("SELECT attributes FROM llm_calls WHERE span_id = ANY(:ids)"),
                            {"ids": [many.span_id, nested.span_id]}).scalars().all()
    sizes = [len(json.dumps(a or {}, ensure_ascii=False, separators=(",", ":")).encode()) for a in kept]
    assert len(sizes) == 2 and all(size <= 8_192 for size in sizes), sizes  # MODELMIX_ATTRIBUTES_MAX_BYTES


def test_nesting_past_the_parser_limit_is_a_400_not_a_crash(http: httpx.Client, module_engine: Engine) -> None:
    deep = chat_span()
    shallow = deeply_nested_request(chat_span(), 2)
    assert http.post("/v1/traces", content=shallow, headers=PROTOBUF).status_code == 200  # the builder is right
    body = deeply_nested_request(deep, 300)
    assert http.post("/v1/traces", content=body, headers=PROTOBUF).status_code == 400
    # Deeper than Python's own recursion limit for JSON, so it is written as text, not with json.dumps.
    depth = 2_000
    value = '{"kvlistValue":{"values":[{"key":"k","value":' * depth + '{"stringValue":"leaf"}' + "}]}}" * depth
    plain = to_otlp_json(export_request(deep)).decode()
    marker = '"attributes": ['
    assert marker in plain
    json_body = plain.replace(marker, marker + '{"key":"deep","value":' + value + "},", 1)
    assert http.post("/v1/traces", content=json_body.encode(), headers=JSON).status_code == 400
    assert not _stored(module_engine, [deep.span_id])


def test_invalid_utf8_is_a_400_and_stores_nothing(http: httpx.Client, module_engine: Engine) -> None:
    span = chat_span(model="MARKERMODEL")
    body = export_request(span).SerializeToString().replace(b"MARKERMODEL", b"MARKER\xff\xfeDEL")
    assert http.post("/v1/traces", content=body, headers=PROTOBUF).status_code == 400
    json_body = to_otlp_json(export_request(span)).replace(b"MARKERMODEL", b"MARKER\xff\xfeDEL")
    assert http.post("/v1/traces", content=json_body, headers=JSON).status_code == 400
    assert not _stored(module_engine, [span.span_id])


def test_an_absurd_reported_cost_is_unknown_and_does_not_cost_the_call(http: httpx.Client,
                                                                       module_engine: Engine) -> None:
    """The reported cost is only a cross-check; a value PostgreSQL cannot hold must not lose the call."""
    spans = [chat_span(extra={"gen_ai.usage.cost": value}) for value in (2**63 - 1, 1e300, "1e15", 12.5)]
    response = http.post("/v1/traces", content=export_request(*spans).SerializeToString(), headers=PROTOBUF)
    assert response.status_code == 200
    assert ExportTraceServiceResponse.FromString(response.content).partial_success.rejected_spans == 0
    with module_engine.connect() as conn:
        costs = dict(conn.execute(text("SELECT span_id, reported_cost_usd FROM llm_calls WHERE span_id = ANY(:ids)"),
                                  {"ids": [s.span_id for s in spans]}).all())
    assert [costs.get(s.span_id, "missing") for s in spans] == [None, None, None, Decimal("12.5")]


def test_nul_characters_never_cost_a_call(http: httpx.Client, module_engine: Engine) -> None:
    """PostgreSQL text and jsonb cannot hold U+0000; one such character must not lose the call."""
    spans = [chat_span(model="gpt\x00-4o"), chat_span(extra={"modelmix.task": "triage\x00"}),
             chat_span(extra={"http.header": "a\x00b"}), chat_span(extra={"odd\x00key": "v"})]
    response = http.post("/v1/traces", content=export_request(*spans, service="svc\x00nul").SerializeToString(),
                         headers=PROTOBUF)
    assert response.status_code == 200
    assert ExportTraceServiceResponse.FromString(response.content).partial_success.rejected_spans == 0
    with module_engine.connect() as conn:
        rows = conn.execute(text("SELECT request_model, task, service, attributes::text AS attrs FROM llm_calls "
                                 "WHERE span_id = ANY(:ids)"), {"ids": [s.span_id for s in spans]}).all()
    assert len(rows) == 4
    assert {r.service for r in rows} == {"svc\ufffdnul"}
    assert "gpt\ufffd-4o" in {r.request_model for r in rows}
    assert "triage\ufffd" in {r.task for r in rows}
    assert any("a\ufffdb" in (r.attrs or "") for r in rows) and any("odd\ufffdkey" in (r.attrs or "") for r in rows)


def test_after_all_that_the_writer_is_alive_and_nothing_logged_an_error(
        http: httpx.Client, module_engine: Engine, ingest: Collector, errors: ErrorLog) -> None:
    good = chat_span()
    assert http.post("/v1/traces", content=export_request(good).SerializeToString(),
                     headers=PROTOBUF).status_code == 200
    assert _stored(module_engine, [good.span_id]) == {good.span_id}
    assert ingest.health()[0]
    assert ingest.stats.failed_batches == 0
    assert not [r.getMessage() for r in errors.records if r.name.startswith(("collector", "modelmix"))]
