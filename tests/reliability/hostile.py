"""Hypothesis strategies for hostile OTLP input, and an independent rule for which spans are invalid.

Spans are real protobuf messages built from drawn values: attribute values of every wrong type,
huge and NUL-bearing strings, NaN / negative / absurd token counts, nested kvlists, broken ids and
absurd timestamps. ``must_be_rejected`` states the OTLP rules (ids, start time within the age
window) on its own, so tests never take the collector's word for which spans were bad.
"""

from __future__ import annotations

import os
import time

from hypothesis import strategies as st
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tests.unit.conventions.spans import any_value

DAY_NS = 86_400 * 10**9
MAX_AGE_DAYS = 400  # the collector's default MODELMIX_MAX_SPAN_AGE_DAYS
TOKEN_KEYS = ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.cache_read.input_tokens",
              "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.reasoning.output_tokens",
              "gen_ai.usage.prompt_tokens", "llm.token_count.prompt", "llm.usage.total_tokens", "gen_ai.usage.cost")
TEXT_KEYS = ("gen_ai.request.model", "gen_ai.response.model", "gen_ai.provider.name", "gen_ai.system",
             "gen_ai.operation.name", "modelmix.task", "modelmix.verification", "modelmix.escalated_from",
             "gen_ai.response.id", "error.type", "gen_ai.response.finish_reasons", "session.id", "user.id",
             "gen_ai.input.messages", "gen_ai.prompt.0.content", "llm.request.type", "openinference.span.kind")

texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)  # any code point but lone surrogates
hostile_texts = st.one_of(
    texts, st.just(""), st.just(" "), st.just("\x00"), st.just("model\x00name"), st.just("'; DROP TABLE llm_calls; --"),
    st.just("\u202e\ufeffgpt-4o"), st.just("💥" * 50), st.integers(1_000, 200_000).map(lambda n: "x" * n),
    st.sampled_from(["NaN", "-1", "1e400", "Infinity", "0x10", "99999999999999999999999", "[1,2]", "{}", "null"]),
)
numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, -1, 2**63 - 1, -(2**63), 10**12, 10**12 + 1]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([float("nan"), float("inf"), -0.0, 1e308]),
)
scalars = st.one_of(numbers.map(any_value), hostile_texts.map(any_value), st.booleans().map(any_value),
                    st.binary(max_size=64).map(any_value), st.just(AnyValue()))


def _nest(depth: int, leaf: AnyValue) -> AnyValue:
    value = leaf
    for level in range(depth):
        wrapper = AnyValue()
        wrapper.kvlist_value.values.append(KeyValue(key=f"level{level}", value=value))
        value = wrapper
    return value


values = st.one_of(
    scalars,
    st.lists(scalars, max_size=5).map(lambda items: any_value([]) if not items else _array(items)),
    st.tuples(st.integers(1, 25), scalars).map(lambda t: _nest(*t)),  # protobuf parses ~31 levels here
)


def _array(items: list[AnyValue]) -> AnyValue:
    result = AnyValue()
    result.array_value.values.extend(items)
    return result


attribute_maps = st.dictionaries(st.one_of(st.sampled_from(TOKEN_KEYS + TEXT_KEYS), hostile_texts), values,
                                 max_size=12)


def now_ns() -> int:
    return time.time_ns()


@st.composite
def hostile_spans(draw: st.DrawFn) -> Span:
    now = now_ns()
    trace_id = draw(st.one_of(st.just(None), st.sampled_from([bytes(16), b"\x01" * 15, b"", b"\x02" * 17])))
    span_id = draw(st.one_of(st.just(None), st.sampled_from([bytes(8), b"\x01" * 7, b"", b"\x03" * 9])))
    start = draw(st.one_of(  # bounds relative to now, so that hypothesis replays draw the same way
        st.integers(0, 300 * DAY_NS).map(lambda ago: now - ago),
        st.sampled_from([0, 1, 2**64 - 1, now - (MAX_AGE_DAYS + 1) * DAY_NS, now + 3 * DAY_NS, 2**63]),
    ))
    end = draw(st.one_of(st.just(start + 10**9 if start < 2**64 - 10**9 else start),
                         st.sampled_from([0, 1, 2**64 - 1]), st.integers(0, 2**64 - 1)))
    attributes = {"gen_ai.operation.name": any_value("chat"), "gen_ai.request.model": any_value("gpt-4o-mini"),
                  **draw(attribute_maps)}
    return Span(
        trace_id=trace_id if trace_id is not None else os.urandom(16),
        span_id=span_id if span_id is not None else os.urandom(8),
        parent_span_id=draw(st.sampled_from([b"", bytes(8), os.urandom(8), b"\x05" * 3])),
        name=draw(hostile_texts), kind=draw(st.integers(0, 2**31 - 1)),  # type: ignore[arg-type]
        start_time_unix_nano=start, end_time_unix_nano=end,
        attributes=[KeyValue(key=k, value=v) for k, v in attributes.items()],
        status=Status(code=draw(st.integers(0, 2**31 - 1)), message=draw(hostile_texts)),  # type: ignore[arg-type]
    )


def must_be_rejected(span: Span, now: int) -> bool:
    """OTLP's rules, stated independently: ids of the right length and not all zero, a start time
    that is set and lies within the accepted age window (a day of clock skew allowed)."""
    bad_trace = len(span.trace_id) != 16 or span.trace_id == bytes(16)
    bad_span = len(span.span_id) != 8 or span.span_id == bytes(8)
    bad_parent = len(span.parent_span_id) not in (0, 8)
    start = span.start_time_unix_nano
    bad_start = start == 0 or start < now - MAX_AGE_DAYS * DAY_NS or start > now + DAY_NS
    return bad_trace or bad_span or bad_parent or bad_start


def plainly_valid(span: Span, now: int) -> bool:
    """Clearly inside every rule (margins of an hour around the age window's edges)."""
    hour = 3_600 * 10**9
    start = span.start_time_unix_nano
    return (not must_be_rejected(span, now) and now - MAX_AGE_DAYS * DAY_NS + hour < start < now + DAY_NS - hour)


def nested_value(depth: int) -> AnyValue:
    """A string leaf wrapped in ``depth`` single-entry kvlists."""
    return _nest(depth, AnyValue(string_value="leaf"))


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def deeply_nested_request(span: Span, depth: int) -> bytes:
    """Built on the wire by hand: the protobuf library itself refuses to build messages this deep."""
    value = AnyValue(string_value="leaf").SerializeToString()
    for _ in range(depth):  # AnyValue.kvlist_value(6) → KeyValueList.values(1) → KeyValue{key(1), value(2)}
        value = _field(6, _field(1, _field(1, b"k") + _field(2, value)))
    span_bytes = span.SerializeToString() + _field(9, _field(1, b"deep") + _field(2, value))  # Span.attributes
    return _field(1, _field(2, _field(2, span_bytes)))  # request.resource_spans → scope_spans → spans
