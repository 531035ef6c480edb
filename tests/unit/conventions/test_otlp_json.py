"""OTLP/JSON decoding rules (hex ids, int64 strings, integer enums, unknown fields) and protobuf."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from modelmix.conventions import (
    DecodeError,
    decode_traces,
    parse_json_logs,
    parse_json_traces,
    parse_protobuf_logs,
    parse_protobuf_traces,
)
from tests.unit.conventions.spans import NOW, NOW_NS

TRACE_HEX = "5B8EFFF798038103D269B633813FC60C"
SPAN_HEX = "EEE19B7EC3C1B174"
PARENT_HEX = "eee19b7ec3c1b173"


def _body(span: dict[str, Any], **request: Any) -> bytes:
    document = {
        "resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
            "scopeSpans": [{"scope": {"name": "s"}, "spans": [span]}],
        }],
        **request,
    }
    return json.dumps(document).encode()


def _span(**overrides: Any) -> dict[str, Any]:
    span: dict[str, Any] = {
        "traceId": TRACE_HEX, "spanId": SPAN_HEX, "parentSpanId": PARENT_HEX, "name": "chat gpt-4o",
        "kind": 3, "startTimeUnixNano": str(NOW_NS - 10**9), "endTimeUnixNano": NOW_NS,
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "180"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 7}},
        ],
        "status": {"code": 2, "message": "boom"},
    }
    span.update(overrides)
    return span


def test_spec_rules_for_ids_numbers_and_enums() -> None:
    request = parse_json_traces(_body(_span()))
    span = request.resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id == bytes.fromhex(TRACE_HEX)
    assert span.span_id == bytes.fromhex(SPAN_HEX) and span.parent_span_id == bytes.fromhex(PARENT_HEX)
    assert span.start_time_unix_nano == NOW_NS - 10**9 and span.end_time_unix_nano == NOW_NS
    assert span.kind == 3 and span.status.code == 2
    call = decode_traces(request, now=NOW).calls[0]
    assert (call.input_tokens, call.output_tokens, call.status) == (180, 7, "error")
    assert call.trace_id.hex() == TRACE_HEX.lower()


def test_unknown_fields_are_ignored_and_snake_case_is_not_read() -> None:
    span = _span(futureField={"x": 1}, trace_id="ignored")
    request = parse_json_traces(_body(span, somethingNew=[1, 2]))
    assert request.resource_spans[0].scope_spans[0].spans[0].trace_id == bytes.fromhex(TRACE_HEX)


def test_enum_names_are_accepted_too() -> None:
    request = parse_json_traces(_body(_span(kind="SPAN_KIND_CLIENT", status={"code": "STATUS_CODE_ERROR"})))
    span = request.resource_spans[0].scope_spans[0].spans[0]
    assert (span.kind, span.status.code) == (3, 2)


@pytest.mark.parametrize(("value", "expected"), [
    ({"stringValue": "a"}, AnyValue(string_value="a")),
    ({"boolValue": True}, AnyValue(bool_value=True)),
    ({"intValue": "-9223372036854775808"}, AnyValue(int_value=-(2**63))),
    ({"intValue": 12}, AnyValue(int_value=12)),
    ({"doubleValue": 1.5}, AnyValue(double_value=1.5)),
    ({"doubleValue": "NaN"}, None),
    ({"bytesValue": base64.b64encode(b"\x00\x01").decode()}, AnyValue(bytes_value=b"\x00\x01")),
    ({"bytesValue": "AAE"}, AnyValue(bytes_value=b"\x00\x01")),  # unpadded
])
def test_any_value_kinds(value: dict[str, Any], expected: AnyValue | None) -> None:
    span = _span(attributes=[{"key": "k", "value": value}])
    parsed = parse_json_traces(_body(span)).resource_spans[0].scope_spans[0].spans[0].attributes[0].value
    if expected is None:
        assert parsed.double_value != parsed.double_value  # NaN
    else:
        assert parsed == expected


def test_array_and_kvlist_values() -> None:
    value = {"kvlistValue": {"values": [
        {"key": "list", "value": {"arrayValue": {"values": [{"intValue": "1"}, {"stringValue": "x"}]}}},
        {"key": "empty", "value": {}},
    ]}}
    request = parse_json_traces(_body(_span(attributes=[
        {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
        {"key": "gen_ai.request.model", "value": {"stringValue": "m"}},
        {"key": "nested", "value": value},
    ])))
    call = decode_traces(request, now=NOW).calls[0]
    assert call.attributes["nested"] == {"list": [1, "x"], "empty": None}


def test_json_and_protobuf_agree() -> None:
    request = parse_json_traces(_body(_span()))
    assert parse_protobuf_traces(request.SerializeToString()) == request


@pytest.mark.parametrize("body", [b"", b"   ", b"{}", b'{"resourceSpans": []}'])
def test_empty_requests_are_valid(body: bytes) -> None:
    batch = decode_traces(parse_json_traces(body), now=NOW)
    assert (batch.calls, batch.skeletons, batch.rejected) == ([], [], 0)
    assert decode_traces(parse_protobuf_traces(b""), now=NOW).calls == []


@pytest.mark.parametrize(("body", "phrase"), [
    (b"{not json", "not valid JSON"),
    (b"[]", "must be a JSON object"),
    (b'"text"', "must be a JSON object"),
    (b'{"resourceSpans": {}}', "resourceSpans: expected an array"),
    (b'{"resourceSpans": [1]}', "resourceSpans[0]: expected an object"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": ["x"]}]}]}', "resourceSpans[0].scopeSpans[0].spans[0]"),
    (b'\xff\xfe{}', "not valid UTF-8"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5}]}]}]}', "name: expected a string"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"kind": 1.5}]}]}]}', "kind: expected an integer"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"kind": 99999999999}]}]}]}', "out of range"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [{"key": "k", "value": '
     b'{"intValue": "abc"}}]}]}]}]}', "attributes[0].value.intValue"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [{"key": "k", "value": '
     b'{"bytesValue": "!!"}}]}]}]}]}', "invalid base64"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [{"key": "k", "value": '
     b'{"stringValue": "\\ud800"}}]}]}]}]}', "not valid UTF-8"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": {"key": "k"}}]}]}]}', "expected an array"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": 12}]}]}]}', "expected a hex string"),
    (b"[" * 100_000, "nested too deeply"),
])
def test_malformed_json_raises_a_clear_decode_error(body: bytes, phrase: str) -> None:
    with pytest.raises(DecodeError) as raised:
        parse_json_traces(body)
    assert phrase in str(raised.value)


def test_deeply_nested_kvlists_are_refused() -> None:
    value: dict[str, Any] = {"stringValue": "leaf"}
    for _ in range(60):
        value = {"kvlistValue": {"values": [{"key": "k", "value": value}]}}
    with pytest.raises(DecodeError, match="nested deeper than"):
        parse_json_traces(_body(_span(attributes=[{"key": "deep", "value": value}])))


def test_moderately_nested_kvlists_are_stored_with_a_depth_cap() -> None:
    value: dict[str, Any] = {"stringValue": "leaf"}
    for _ in range(20):
        value = {"kvlistValue": {"values": [{"key": "k", "value": value}]}}
    attributes = _span()["attributes"] + [{"key": "deep", "value": value}]
    call = decode_traces(parse_json_traces(_body(_span(attributes=attributes))), now=NOW).calls[0]
    depth, node = 0, call.attributes["deep"]
    while isinstance(node, dict):
        node, depth = node["k"], depth + 1
    assert node == "[value too large]" and depth == 8


@pytest.mark.parametrize("body", [b"\x0a\x05garbage", b"\xff" * 20, b"\x0a"])
def test_malformed_protobuf_raises_decode_error(body: bytes) -> None:
    with pytest.raises(DecodeError):
        parse_protobuf_traces(body)
    with pytest.raises(DecodeError):
        parse_protobuf_logs(body)


def test_protobuf_with_invalid_utf8_string_is_refused() -> None:
    request = parse_json_traces(_body(_span()))
    wire = request.SerializeToString().replace(b"chat gpt-4o", b"chat gpt-4\xff")
    with pytest.raises(DecodeError):
        parse_protobuf_traces(wire)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field, written by hand."""
    length, size = b"", len(payload)
    while True:
        byte, size = size & 0x7F, size >> 7
        length += bytes([byte | (0x80 if size else 0)])
        if not size:
            return bytes([number << 3 | 2]) + length + payload


def test_deeply_nested_protobuf_is_refused_not_crashed() -> None:
    value = _field(1, b"leaf")  # AnyValue.string_value
    for _ in range(300):
        value = _field(5, _field(1, value))  # AnyValue.array_value -> ArrayValue.values
    span = _field(9, _field(1, b"deep") + _field(2, value))  # Span.attributes -> KeyValue(key, value)
    wire = _field(1, _field(2, _field(2, span)))  # request.resource_spans.scope_spans.spans
    with pytest.raises(DecodeError):
        parse_protobuf_traces(wire)


LOGS = {
    "resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
        "scopeLogs": [{"scope": {"name": "s"}, "logRecords": [{
            "timeUnixNano": "1544712660300000000", "severityNumber": 9, "eventName": "gen_ai.user.message",
            "traceId": TRACE_HEX, "spanId": SPAN_HEX, "body": {"stringValue": "hello"},
            "attributes": [{"key": "a", "value": {"intValue": "1"}}],
        }]}],
    }],
}


def test_logs_json_and_protobuf() -> None:
    request = parse_json_logs(json.dumps(LOGS).encode())
    assert isinstance(request, ExportLogsServiceRequest)
    record = request.resource_logs[0].scope_logs[0].log_records[0]
    assert record.trace_id == bytes.fromhex(TRACE_HEX) and record.severity_number == 9
    assert record.body.string_value == "hello"
    assert parse_protobuf_logs(request.SerializeToString()) == request


@pytest.mark.parametrize("body", [b"nope", b"[]", b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": 1}]}]}]}'])
def test_malformed_logs_raise_decode_error(body: bytes) -> None:
    with pytest.raises(DecodeError):
        parse_json_logs(body)
