"""Content never reaches a record unless capture is on; leftover attributes stay within budget."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelmix.conventions import keys
from tests.unit.conventions.spans import decode, make_span, only_call

SECRET = "ZEBRA-SECRET"
CHAT = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o"}
PREFIXED_CONTENT = [
    "gen_ai.prompt.0.content", "gen_ai.completion.1.content", "gen_ai.content.reasoning",
    "llm.input_messages.0.message.contents.1.message_content.text", "llm.output_messages.0.message.content",
    "llm.prompts.0.prompt.text", "llm.choices.0.text", "llm.tools.0.tool.json_schema",
    "llm.prompt_template.variables", "llm.request.functions.0.arguments", "embedding.embeddings.0.embedding.text",
    "retrieval.documents.0.document.content", "reranker.query", "message.content", "tool_call.function.arguments",
    "langfuse.trace.metadata.note", "langfuse.observation.metadata.note", "ai.prompt.messages",
    "ai.response.text", "http.request.header.authorization", "gen_ai.tool.definitions.0.name",
    "gen_ai.user.message.content",
]
CONTENT_EVENTS = [
    ("gen_ai.client.inference.operation.details", {"gen_ai.input.messages": SECRET}),
    ("gen_ai.user.message", {"content": SECRET}),
    ("gen_ai.choice", {"message": SECRET}),
    ("gen_ai.content.prompt", {"gen_ai.prompt": SECRET}),
    ("gen_ai.content.completion.chunk", {"chunk": SECRET}),
    ("exception", {"exception.type": "ValueError", "exception.message": SECRET,
                   "exception.stacktrace": SECRET}),
]


def _all_content() -> dict[str, Any]:
    attributes: dict[str, Any] = {key: SECRET for key in sorted(keys.CONTENT_KEYS)}
    attributes.update({key: SECRET for key in PREFIXED_CONTENT})
    attributes["gen_ai.input.messages"] = {"role": "user", "parts": [{"content": SECRET}]}  # structured form
    attributes["llm.invocation_parameters"] = json.dumps({"model": "gpt-4o-mini", "prompt": SECRET})
    return attributes


def test_every_content_key_and_event_is_dropped() -> None:
    batch = decode(make_span({**CHAT, **_all_content(), "keep.me": "ok"}, events=CONTENT_EVENTS,
                             status_code=2))
    call = only_call(batch)
    assert SECRET not in repr(call)
    assert call.attributes == {"keep.me": "ok"}
    assert call.error_type == "ValueError"  # the exception event's type survives, nothing else


def test_content_on_skeletons_is_never_stored() -> None:
    batch = decode(make_span({**_all_content(), "traceloop.span.kind": "workflow"}, name="wf.workflow",
                             events=CONTENT_EVENTS))
    assert batch.calls == [] and SECRET not in repr(batch.skeletons)


def test_capture_content_keeps_attributes_and_content_events() -> None:
    call = only_call(decode(make_span({**CHAT, **_all_content()}, events=CONTENT_EVENTS),
                            capture_content=True, attributes_max_bytes=1 << 20))
    for key in [*keys.CONTENT_KEYS, *PREFIXED_CONTENT, "llm.invocation_parameters"]:
        assert key in call.attributes, key
    assert call.attributes["gen_ai.input.messages"] == {"role": "user", "parts": [{"content": SECRET}]}
    assert [event["name"] for event in call.attributes["_events"]] == [name for name, _ in CONTENT_EVENTS[:-1]]


def test_invocation_parameters_keep_only_the_model() -> None:
    call = only_call(decode(make_span({"openinference.span.kind": "LLM", "llm.invocation_parameters":
                                       json.dumps({"model": "gpt-4o-mini", "temperature": 0.3,
                                                   "messages": [SECRET]})}, name="ChatCompletion")))
    assert call.request_model == "gpt-4o-mini"
    assert "llm.invocation_parameters" not in call.attributes and SECRET not in repr(call)


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


@pytest.mark.parametrize("budget", [0, 64, 512, 8192])
def test_ten_thousand_attributes_are_bounded(budget: int) -> None:
    many = {f"custom.attribute.{index}": "v" * (index % 50) for index in range(10_000)}
    call = only_call(decode(make_span({**CHAT, **many}), attributes_max_bytes=budget))
    assert _json_size(call.attributes) <= max(budget, 2)
    if budget >= 64:
        assert call.attributes["_truncated"] + len(call.attributes) - 1 == 10_000
    assert call.request_model == "gpt-4o"


def test_largest_values_are_dropped_first() -> None:
    attributes = {**CHAT, "small.a": "x", "small.b": 7, "big": "y" * 5000, "medium": "z" * 300}
    call = only_call(decode(make_span(attributes), attributes_max_bytes=400))
    assert call.attributes == {"small.a": "x", "small.b": 7, "medium": "z" * 300, "_truncated": 1}


def test_capture_content_is_bounded_too() -> None:
    call = only_call(decode(make_span({**CHAT, "gen_ai.input.messages": SECRET * 10_000}),
                            capture_content=True, attributes_max_bytes=1024))
    assert "gen_ai.input.messages" not in call.attributes
    assert call.attributes["_truncated"] == 1


def test_non_ascii_and_escaped_text_is_measured_in_bytes() -> None:
    attributes = {**CHAT, **{f"k{index}": "é\"\n\u2028" * 40 for index in range(30)}}
    call = only_call(decode(make_span(attributes), attributes_max_bytes=1000))
    assert _json_size(call.attributes) <= 1000


def test_attribute_values_are_json_safe() -> None:
    call = only_call(decode(make_span({**CHAT, "nan": float("nan"), "inf": float("-inf"), "raw": b"\x00\xff",
                                       "list": [1, "a", True, 2.5], "map": {"a": {"b": [None]}}})))
    text = json.dumps(call.attributes, allow_nan=False)
    assert json.loads(text) == {"nan": "nan", "inf": "-inf", "raw": "AP8=", "list": [1, "a", True, 2.5],
                                "map": {"a": {"b": [None]}}}
