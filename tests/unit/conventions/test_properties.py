"""Property tests: arbitrary attribute values and arbitrary bodies never break the decoder."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelmix.conventions import DecodeError, decode_traces, keys, parse_json_traces, parse_protobuf_traces
from tests.unit.conventions.spans import NOW, NOW_NS, make_request, make_span, new_trace_id

KNOWN_KEYS = sorted({key for aliases in keys.FIELD_KEYS.values() for key in aliases} | set(keys.CONTENT_KEYS))
texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)  # no lone surrogates
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True), texts, st.binary(max_size=16),
    st.sampled_from(["chat", "embeddings", "invoke_agent", "LLM", "openlit", "-5", "1e300", "NaN", "pass",
                     '{"model": 5}', '{"total": "x"}', "[1, 2]", "openai", "xai"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
attribute_keys = st.one_of(st.sampled_from(KNOWN_KEYS), texts)
CALL_TEMPLATES: list[dict[str, Any]] = [
    {}, {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 5,
         "gen_ai.usage.output_tokens": 1, "gen_ai.response.id": "r"},
    {"openinference.span.kind": "LLM"}, {"llm.request.type": "embedding"},
    {"langfuse.observation.type": "generation"}, {"gen_ai.operation.name": "invoke_agent"},
]
attribute_maps = st.builds(lambda template, extra: {**template, **extra}, st.sampled_from(CALL_TEMPLATES),
                           st.dictionaries(attribute_keys, values, max_size=25))
event_names = st.sampled_from(["exception", "gen_ai.evaluation.result", "gen_ai.choice", "other"])
events = st.lists(st.tuples(event_names, st.dictionaries(
    st.sampled_from(["exception.type", "gen_ai.evaluation.score.value", "gen_ai.evaluation.score.label", "x"]),
    values, max_size=3)), max_size=3)


def _assert_sane(batch: Any, budget: int) -> None:
    for call in batch.calls:
        json.dumps(call.attributes, allow_nan=False)  # JSON-safe: raises on NaN or foreign types
        assert len(json.dumps(call.attributes, ensure_ascii=False, separators=(",", ":")).encode()) <= max(budget, 2)
        for name in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                     "reasoning_tokens"):
            count = getattr(call, name)
            assert count is None or (isinstance(count, int) and not isinstance(count, bool) and count >= 0)
        cost = call.reported_cost_usd
        assert cost is None or (isinstance(cost, Decimal) and cost.is_finite() and cost >= 0)
        assert call.status in ("ok", "error") and call.verification in (None, "pass", "fail")
        assert call.call_kind in ("llm", "embedding") and isinstance(call.service, str)
        for text_field in (call.provider, call.request_model, call.response_model, call.error_type):
            assert text_field is None or isinstance(text_field, str)
    for skeleton in batch.skeletons:
        assert skeleton.verification in (None, "pass", "fail")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(span_attributes=st.lists(attribute_maps, min_size=1, max_size=4), resource=attribute_maps,
       span_events=events, status_code=st.integers(min_value=0, max_value=3), capture=st.booleans(),
       budget=st.integers(min_value=0, max_value=4096), name=texts)
def test_decode_never_raises_on_arbitrary_attribute_values(
    span_attributes: list[dict[str, Any]], resource: dict[str, Any], span_events: list[Any], status_code: int,
    capture: bool, budget: int, name: str,
) -> None:
    trace_id = new_trace_id()
    spans: list[Any] = []
    for index, attributes in enumerate(span_attributes):  # one trace, each span a child of the previous
        parent = spans[-1].span_id if spans and index % 2 else None
        spans.append(make_span(attributes, name=name, events=span_events, status_code=status_code,
                               trace_id=trace_id, parent_span_id=parent, start_ns=NOW_NS - 10**9 * (index + 1)))
    request = make_request(spans, resource=resource)
    batch = decode_traces(request, capture_content=capture, attributes_max_bytes=budget, now=NOW)
    assert len(batch.calls) + len(batch.skeletons) + batch.rejected == len(spans)
    assert batch.duplicates == sum(batch.dedup_rules.values())
    _assert_sane(batch, budget)
    same = decode_traces(parse_protobuf_traces(request.SerializeToString()), capture_content=capture,
                         attributes_max_bytes=budget, now=NOW)
    assert (same.calls, same.skeletons) == (batch.calls, batch.skeletons)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["resourceSpans", "scopeSpans", "spans", "attributes", "key", "value", "traceId",
                         "spanId", "name", "kind", "startTimeUnixNano", "stringValue", "intValue",
                         "kvlistValue", "arrayValue", "values", "status", "code", "events"]) | texts,
        inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(document=json_values)
def test_arbitrary_json_raises_only_decode_error(document: Any) -> None:
    body = json.dumps(document).encode()
    try:
        request = parse_json_traces(body)
    except DecodeError:
        return
    decode_traces(request, now=NOW)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_decode_error(body: bytes) -> None:
    for parse in (parse_protobuf_traces, parse_json_traces):
        try:
            request = parse(body)
        except DecodeError:
            continue
        decode_traces(request, now=NOW)
