"""Replay the recorded instrumentation fixtures and compare with what the app really did."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import fields
from typing import Any

import pytest

from modelmix.conventions import DecodedBatch, decode_traces, parse_json_traces, parse_protobuf_traces
from modelmix.records import LlmCall, SpanSkeleton
from tests.otlp_fixtures import OtlpFixture, fixture_names, load_fixture

FIXTURES = ["openai-v2", "openllmetry"]


def _decode_all(fixture: OtlpFixture, **options: Any) -> list[DecodedBatch]:
    options.setdefault("now", fixture.window_end)
    return [decode_traces(parse_json_traces(body), **options) for body in fixture.bodies]


def _calls(batches: list[DecodedBatch]) -> list[LlmCall]:
    return [call for batch in batches for call in batch.calls]


def test_fixtures_are_present() -> None:
    assert set(FIXTURES) <= set(fixture_names())


@pytest.mark.parametrize("name", FIXTURES)
def test_per_model_totals_match_ground_truth(name: str) -> None:
    fixture = load_fixture(name)
    batches = _decode_all(fixture)
    assert all(batch.rejected == 0 and batch.duplicates == 0 for batch in batches)
    served_of = fixture.served_model_of_requested
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    for call in _calls(batches):
        model = call.response_model or served_of[call.request_model or ""]
        bucket = totals[model]
        bucket["calls"] += 1
        bucket["errors"] += call.status == "error"
        bucket["input_tokens"] += call.input_tokens or 0
        bucket["output_tokens"] += call.output_tokens or 0
        bucket["cached_input_tokens"] += call.cache_read_tokens or 0
        bucket["streamed_calls"] += call.streamed is True
    expected_models = fixture.models
    assert set(totals) == set(expected_models)
    for model, expected in expected_models.items():
        got = totals[model]
        for measure in ("calls", "errors", "input_tokens", "output_tokens"):
            assert got[measure] == expected[measure], (model, measure)
        if fixture.cached_tokens_visible:
            assert got["cached_input_tokens"] == expected["cached_input_tokens"], model
    assert sum(bucket["calls"] for bucket in totals.values()) == fixture.ground_truth["totals"]["calls"]


@pytest.mark.parametrize("name", FIXTURES)
def test_each_call_matches_a_ground_truth_call(name: str) -> None:
    fixture = load_fixture(name)
    calls = _calls(_decode_all(fixture))
    truth = fixture.ground_truth["calls"]
    ok_expected = Counter((c["served_model"], c["input_tokens"], c["output_tokens"])
                          for c in truth if c["status"] == "ok")
    ok_got = Counter((c.response_model, c.input_tokens, c.output_tokens) for c in calls if c.status == "ok")
    assert ok_got == ok_expected
    failed_expected = Counter((c["requested_model"], c["error_type"]) for c in truth if c["status"] != "ok")
    failed_got = Counter((c.request_model, c.error_type) for c in calls if c.status == "error")
    assert failed_got == failed_expected
    for call in calls:
        assert call.provider == "openai"
        assert call.service == fixture.ground_truth["service"]
        assert call.environment == "acceptance"
        assert call.operation == "chat" and call.call_kind == "llm"
        if call.status == "error":  # no usage was reported: unknown, never zero
            assert call.input_tokens is None and call.output_tokens is None
            assert call.response_model is None


@pytest.mark.parametrize("name", FIXTURES)
def test_cached_tokens_known_exactly_when_exported(name: str) -> None:
    fixture = load_fixture(name)
    calls = _calls(_decode_all(fixture))
    ok_calls = [call for call in calls if call.status == "ok"]
    if fixture.cached_tokens_visible:
        assert all(call.cache_read_tokens is not None for call in ok_calls)
        truth = Counter((c["served_model"], c["input_tokens"], c["cached_input_tokens"])
                        for c in fixture.ground_truth["calls"] if c["status"] == "ok")
        got = Counter((c.response_model, c.input_tokens, c.cache_read_tokens) for c in ok_calls)
        assert got == truth
    else:
        assert all(call.cache_read_tokens is None for call in calls)


def test_streamed_flag_matches_ground_truth_where_exported() -> None:
    fixture = load_fixture("openllmetry")  # OpenLLMetry exports gen_ai.is_streaming
    calls = _calls(_decode_all(fixture))
    served_of = fixture.served_model_of_requested
    streamed = Counter(call.response_model or served_of[call.request_model or ""]
                       for call in calls if call.streamed)
    for model, expected in fixture.models.items():
        assert streamed[model] == expected["streamed_calls"], model
    assert all(call.streamed is None for call in _calls(_decode_all(load_fixture("openai-v2"))))


@pytest.mark.parametrize("name", FIXTURES)
def test_skeletons_carry_task_and_escalation_markers(name: str) -> None:
    fixture = load_fixture(name)
    batches = _decode_all(fixture)
    skeletons = [skeleton for batch in batches for skeleton in batch.skeletons]
    tasks = fixture.ground_truth["tasks"]
    assert len(skeletons) == fixture.ground_truth["exported_spans"]["by_scope"]["modelmix.acceptance.app"]
    with_task = Counter(skeleton.task for skeleton in skeletons if skeleton.task)
    assert with_task == {task["task"]: task["runs_with_task_attribute"] for task in tasks}
    marked = [skeleton for skeleton in skeletons if skeleton.escalated_from]
    assert len(marked) == sum(task["runs_escalated_marked"] for task in tasks)
    assert {skeleton.name for skeleton in marked} == {"escalate"}
    roots = [skeleton for skeleton in skeletons if skeleton.parent_span_id is None]
    assert len(roots) == fixture.ground_truth["totals"]["task_runs"]


@pytest.mark.parametrize("name", FIXTURES)
def test_protobuf_encoding_decodes_identically(name: str) -> None:
    fixture = load_fixture(name)
    for body in fixture.bodies:
        from_json = parse_json_traces(body)
        from_protobuf = parse_protobuf_traces(from_json.SerializeToString())
        assert from_protobuf == from_json
        left = decode_traces(from_json, now=fixture.window_end)
        right = decode_traces(from_protobuf, now=fixture.window_end)
        assert left.calls == right.calls
        assert left.skeletons == right.skeletons
        assert left.calls  # every recorded request holds calls


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *_strings_in(item)]]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings_in(item)]
    return []


def _record_strings(batches: list[DecodedBatch]) -> str:
    texts: list[str] = []
    for batch in batches:
        records: list[LlmCall | SpanSkeleton] = [*batch.calls, *batch.skeletons]
        for record in records:
            for field in fields(record):
                texts.extend(_strings_in(getattr(record, field.name)))
    return "\n".join(texts)


def _prompt_texts(fixture: OtlpFixture) -> set[str]:
    """Every message text the app sent or received, read straight from the fixture files."""
    found: set[str] = set()
    for body in fixture.bodies:
        for resource in json.loads(body)["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                for span in scope["spans"]:
                    for attribute in span.get("attributes", []):
                        if attribute["key"] in ("gen_ai.input.messages", "gen_ai.output.messages"):
                            for message in json.loads(attribute["value"]["stringValue"]):
                                found.update(part["content"] for part in message["parts"]
                                             if isinstance(part.get("content"), str))
    return {text for text in found if len(text) >= 12}


def test_openllmetry_content_is_scrubbed_by_default() -> None:
    fixture = load_fixture("openllmetry")
    prompts = _prompt_texts(fixture)
    assert len(prompts) > 100  # the fixture really does carry content
    assert "Draft a polite reply to the customer." in prompts
    text = _record_strings(_decode_all(fixture))
    leaked = [prompt for prompt in prompts if prompt in text]
    assert leaked == []
    for secret in ("fake_llm injected", "x-acc-call-id", "Traceback", "gen_ai.input.messages"):
        assert secret not in text


def test_openllmetry_content_is_kept_when_capture_is_on() -> None:
    fixture = load_fixture("openllmetry")
    batches = _decode_all(fixture, capture_content=True, attributes_max_bytes=1 << 20)
    calls = _calls(batches)
    assert all("gen_ai.input.messages" in call.attributes for call in calls)
    assert sum("gen_ai.output.messages" in call.attributes for call in calls) == 186
    text = _record_strings(batches)
    assert all(prompt in text for prompt in _prompt_texts(fixture))
