"""Errors, verification outcomes and modelmix's own markers on calls and skeletons."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.conventions.spans import SPAN_KIND_INTERNAL, decode, make_span, only_call

CHAT = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o"}


@pytest.mark.parametrize(("attributes", "events", "message", "expected"), [
    ({"error.type": "RateLimitError"}, [], "", "RateLimitError"),
    ({"error.type": "<class 'openai.RateLimitError'>"}, [], "", "RateLimitError"),
    ({"error.type": "timeout"}, [], "", "timeout"),
    ({}, [("exception", {"exception.type": "openai.APITimeoutError", "exception.message": "secret"})], "",
     "APITimeoutError"),
    ({"http.response.status_code": 503}, [], "", "503"),
    ({}, [], "InternalServerError: upstream failed", "InternalServerError"),
    ({}, [], "something went wrong", None),
])
def test_error_type_precedence(attributes: dict[str, Any], events: list[Any], message: str,
                               expected: str | None) -> None:
    call = only_call(decode(make_span({**CHAT, **attributes}, status_code=2, status_message=message,
                                      events=events)))
    assert call.status == "error"
    assert call.error_type == expected
    assert "secret" not in repr(call)


def test_failed_call_with_only_a_request_model_is_still_a_call() -> None:
    call = only_call(decode(make_span(CHAT, status_code=2, status_message="Error code: 429")))
    assert (call.status, call.request_model, call.response_model, call.input_tokens) == (
        "error", "gpt-4o", None, None)


def test_error_type_without_error_status_marks_the_call_failed() -> None:
    assert only_call(decode(make_span({**CHAT, "error.type": "timeout"}))).status == "error"


def test_ok_status_has_no_error_type() -> None:
    call = only_call(decode(make_span(CHAT, status_code=1)))
    assert (call.status, call.error_type) == ("ok", None)


@pytest.mark.parametrize(("value", "expected", "noted"), [
    ("pass", "pass", False), ("FAIL", "fail", False), ("passed", "pass", False), (True, "pass", False),
    (False, "fail", False), ("maybe", None, True),
])
def test_modelmix_verification_attribute(value: Any, expected: str | None, noted: bool) -> None:
    call = only_call(decode(make_span({**CHAT, "modelmix.verification": value})))
    assert call.verification == expected
    assert ("modelmix.verification" in call.attributes.get("_invalid_values", [])) is noted


EVAL = "gen_ai.evaluation.result"


@pytest.mark.parametrize(("events", "expected"), [
    ([(EVAL, {"gen_ai.evaluation.name": "Relevance", "gen_ai.evaluation.score.label": "relevant"})], "pass"),
    ([(EVAL, {"gen_ai.evaluation.score.label": "incorrect", "gen_ai.evaluation.score.value": 0.9})], "fail"),
    ([(EVAL, {"gen_ai.evaluation.score.value": 0.2})], "fail"),
    ([(EVAL, {"gen_ai.evaluation.score.value": 0.5})], "pass"),
    ([(EVAL, {"gen_ai.evaluation.score.value": 7})], None),  # not a 0..1 score: no verdict
    ([(EVAL, {"gen_ai.evaluation.score.label": "B+"})], None),
    ([(EVAL, {"gen_ai.evaluation.score.value": 1.0}), (EVAL, {"gen_ai.evaluation.score.label": "fail"})], "fail"),
])
def test_evaluation_event_becomes_verification(events: list[Any], expected: str | None) -> None:
    assert only_call(decode(make_span(CHAT, events=events))).verification == expected


def test_verification_attribute_wins_over_evaluation_event() -> None:
    span = make_span({**CHAT, "modelmix.verification": "pass"},
                     events=[(EVAL, {"gen_ai.evaluation.score.label": "fail"})])
    assert only_call(decode(span)).verification == "pass"


def test_call_markers_on_the_span_itself() -> None:
    call = only_call(decode(make_span({**CHAT, "modelmix.task": "classify-ticket",
                                       "gen_ai.workflow.name": "support", "modelmix.escalated_from": "gpt-4o-mini"})))
    assert (call.task, call.escalated_from) == ("classify-ticket", "gpt-4o-mini")


def test_workflow_name_is_the_task_when_no_modelmix_task() -> None:
    assert only_call(decode(make_span({**CHAT, "gen_ai.workflow.name": "support"}))).task == "support"


@pytest.mark.parametrize(("attributes", "name", "expected"), [
    ({"modelmix.task": "summarize", "modelmix.escalated_from": "gpt-4o-mini"}, "escalate",
     {"task": "summarize", "escalated_from": "gpt-4o-mini"}),
    ({"modelmix.verification": False}, "verify", {"verification": "fail"}),
    ({"gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "pipeline"}, "invoke_workflow pipeline",
     {"workflow_name": "pipeline", "span_kind_hint": "workflow"}),
    ({"traceloop.span.kind": "workflow", "traceloop.entity.name": "joke_generation"}, "joke_generation.workflow",
     {"workflow_name": "joke_generation", "span_kind_hint": "workflow"}),
    ({"traceloop.span.kind": "task", "traceloop.workflow.name": "jokes"}, "pick.task",
     {"workflow_name": "jokes", "span_kind_hint": "task"}),
    ({"langfuse.trace.name": "ticket-triage"}, "root", {"trace_name": "ticket-triage", "span_kind_hint": None}),
    ({"openinference.span.kind": "CHAIN"}, "RunnableSequence", {"span_kind_hint": "chain"}),
    ({"openinference.span.kind": "AGENT", "agent.name": "planner"}, "planner", {"agent_name": "planner",
                                                                               "span_kind_hint": "agent"}),
    ({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.arguments": "{}"}, "execute_tool x",
     {"span_kind_hint": "tool"}),
])
def test_skeleton_fields(attributes: dict[str, Any], name: str, expected: dict[str, Any]) -> None:
    batch = decode(make_span(attributes, name=name, kind=SPAN_KIND_INTERNAL))
    assert batch.calls == []
    [skeleton] = batch.skeletons
    assert skeleton.name == name
    for field, value in expected.items():
        assert getattr(skeleton, field) == value, field


def test_skeleton_status_and_evaluation_event() -> None:
    batch = decode(make_span({}, name="check", kind=SPAN_KIND_INTERNAL, status_code=2,
                             events=[(EVAL, {"gen_ai.evaluation.score.label": "pass"})]))
    [skeleton] = batch.skeletons
    assert (skeleton.status, skeleton.verification, skeleton.kind) == ("error", "pass", SPAN_KIND_INTERNAL)
