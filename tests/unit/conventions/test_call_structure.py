"""Which spans are calls: leaf rule for aggregating spans, and de-duplication of stacked spans."""

from __future__ import annotations

from typing import Any

from tests.unit.conventions.spans import (
    NOW_NS,
    SPAN_KIND_CLIENT,
    SPAN_KIND_INTERNAL,
    decode,
    make_span,
    new_span_id,
    new_trace_id,
    only_call,
)

SECOND = 10**9


def chat(model: str = "gpt-4o", input_tokens: int | None = 100, output_tokens: int | None = 20,
         extra: dict[str, Any] | None = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                                  "gen_ai.request.model": model}
    if input_tokens is not None:
        attributes["gen_ai.usage.input_tokens"] = input_tokens
    if output_tokens is not None:
        attributes["gen_ai.usage.output_tokens"] = output_tokens
    return {**attributes, **(extra or {})}


def test_invoke_agent_span_with_usage_is_not_a_call() -> None:
    trace = new_trace_id()
    agent_id = new_span_id()
    agent = make_span({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "Math Tutor",
                       "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 300,
                       "gen_ai.usage.output_tokens": 60},
                      name="invoke_agent Math Tutor", trace_id=trace, span_id=agent_id, duration_ns=10 * SECOND)
    inner = make_span(chat(input_tokens=300, output_tokens=60), trace_id=trace, parent_span_id=agent_id,
                      start_ns=NOW_NS - 60 * SECOND + SECOND)
    batch = decode([agent, inner])
    call = only_call(batch)
    assert call.span_id == inner.span_id and call.input_tokens == 300
    assert batch.duplicates == 0
    [skeleton] = batch.skeletons
    assert skeleton.span_id == agent_id
    assert skeleton.agent_name == "Math Tutor" and skeleton.span_kind_hint == "agent"


def test_invoke_agent_span_alone_is_still_not_a_call() -> None:
    batch = decode(make_span({"gen_ai.operation.name": "invoke_agent", "gen_ai.request.model": "gpt-4o",
                              "gen_ai.usage.input_tokens": 300}, name="invoke_agent"))
    assert batch.calls == [] and len(batch.skeletons) == 1


def test_crewai_agent_span_with_usage_is_not_a_call() -> None:
    batch = decode(make_span({"traceloop.span.kind": "agent", "traceloop.entity.name": "researcher",
                              "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 900,
                              "gen_ai.usage.output_tokens": 90}, name="researcher.agent",
                             kind=SPAN_KIND_INTERNAL))
    assert batch.calls == []
    assert batch.skeletons[0].agent_name == "researcher"
    assert batch.skeletons[0].span_kind_hint == "agent"


def test_inference_span_aggregating_two_calls_becomes_a_skeleton() -> None:
    trace = new_trace_id()
    parent_id = new_span_id()
    parent = make_span({"llm.request.type": "chat", "gen_ai.request.model": "gpt-4o",
                        "gen_ai.usage.prompt_tokens": 30, "gen_ai.usage.completion_tokens": 6},
                       name="ChatOpenAI.chat", kind=SPAN_KIND_INTERNAL, trace_id=trace, span_id=parent_id,
                       duration_ns=10 * SECOND)
    first = make_span(chat(input_tokens=10, output_tokens=2), trace_id=trace, parent_span_id=parent_id,
                      start_ns=NOW_NS - 59 * SECOND)
    second = make_span(chat(input_tokens=20, output_tokens=4), trace_id=trace, parent_span_id=parent_id,
                       start_ns=NOW_NS - 56 * SECOND)
    batch = decode([parent, first, second])
    assert sorted(call.input_tokens or 0 for call in batch.calls) == [10, 20]
    [skeleton] = batch.skeletons
    assert skeleton.span_id == parent_id and skeleton.span_kind_hint == "aggregate_llm"


def test_embedding_below_a_chat_span_does_not_make_it_an_aggregate() -> None:
    trace = new_trace_id()
    parent_id = new_span_id()
    parent = make_span(chat(), trace_id=trace, span_id=parent_id, duration_ns=10 * SECOND)
    child = make_span({"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "text-embedding-3-small",
                       "gen_ai.usage.input_tokens": 5}, trace_id=trace, parent_span_id=parent_id,
                      start_ns=NOW_NS - 59 * SECOND)
    batch = decode([parent, child])
    assert sorted(call.call_kind for call in batch.calls) == ["embedding", "llm"]


def test_same_response_id_keeps_the_innermost_client_span() -> None:
    trace = new_trace_id()
    outer_id = new_span_id()
    outer = make_span({"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-2024-08-06",
                       "llm.token_count.prompt": 100, "llm.token_count.completion": 20,
                       "gen_ai.response.id": "chatcmpl-7", "session.id": "sess-from-outer"},
                      name="ChatCompletion", kind=SPAN_KIND_INTERNAL, trace_id=trace, span_id=outer_id,
                      duration_ns=5 * SECOND)
    inner = make_span(chat(extra={"gen_ai.response.id": "chatcmpl-7"}), name="openai.chat", trace_id=trace,
                      parent_span_id=outer_id, start_ns=NOW_NS - 60 * SECOND + 1000)
    batch = decode([outer, inner])
    call = only_call(batch)
    assert call.span_id == inner.span_id
    assert call.session_id == "sess-from-outer"  # merged from the dropped duplicate
    assert call.attributes["dedup_rule"] == "response_id"
    assert batch.duplicates == 1 and batch.dedup_rules["response_id"] == 1
    assert batch.dedup_rules["overlap"] == 0
    [skeleton] = batch.skeletons
    assert skeleton.span_id == outer_id and skeleton.span_kind_hint == "duplicate_llm"


def test_same_response_id_in_sibling_spans_prefers_the_client_span() -> None:
    trace = new_trace_id()
    internal = make_span(chat(extra={"gen_ai.response.id": "msg_1"}), kind=SPAN_KIND_INTERNAL, trace_id=trace)
    client = make_span(chat(extra={"gen_ai.response.id": "msg_1"}), kind=SPAN_KIND_CLIENT, trace_id=trace,
                       start_ns=NOW_NS - 30 * SECOND)
    call = only_call(decode([internal, client]))
    assert call.span_id == client.span_id


def test_same_response_id_in_different_traces_is_not_a_duplicate() -> None:
    batch = decode([make_span(chat(extra={"gen_ai.response.id": "r"})), make_span(chat(extra={"gen_ai.response.id": "r"}))])
    assert len(batch.calls) == 2 and batch.duplicates == 0


def test_nested_spans_with_same_model_and_tokens_are_one_call() -> None:
    trace = new_trace_id()
    outer_id = new_span_id()
    outer = make_span({"llm.request.type": "chat", "gen_ai.request.model": "gpt-4o",
                       "gen_ai.usage.prompt_tokens": 100, "gen_ai.usage.completion_tokens": 20,
                       "traceloop.workflow.name": "triage"},
                      name="ChatOpenAI.chat", kind=SPAN_KIND_INTERNAL, trace_id=trace, span_id=outer_id,
                      duration_ns=5 * SECOND)
    inner = make_span(chat(model="gpt-4o", extra={"gen_ai.response.model": "gpt-4o-2024-08-06"}), trace_id=trace,
                      parent_span_id=outer_id, start_ns=NOW_NS - 60 * SECOND + 1000)
    batch = decode([outer, inner])
    call = only_call(batch)
    assert call.span_id == inner.span_id
    assert call.task == "triage"
    assert call.attributes["dedup_rule"] == "overlap"
    assert batch.dedup_rules == {"response_id": 0, "overlap": 1} and batch.duplicates == 1


def test_enclosing_time_without_parent_link_is_one_call() -> None:
    trace = new_trace_id()
    outer = make_span(chat(), kind=SPAN_KIND_INTERNAL, trace_id=trace, duration_ns=5 * SECOND)
    inner = make_span(chat(), trace_id=trace, start_ns=NOW_NS - 59 * SECOND, duration_ns=SECOND)
    call = only_call(decode([inner, outer]))
    assert call.span_id == inner.span_id


def test_sequential_identical_calls_are_two_calls() -> None:
    trace = new_trace_id()
    first = make_span(chat(), trace_id=trace, start_ns=NOW_NS - 60 * SECOND, duration_ns=SECOND)
    second = make_span(chat(), trace_id=trace, start_ns=NOW_NS - 58 * SECOND, duration_ns=SECOND)
    batch = decode([first, second])
    assert len(batch.calls) == 2 and batch.duplicates == 0


def test_overlapping_calls_with_different_tokens_or_models_are_kept() -> None:
    trace = new_trace_id()
    spans = [
        make_span(chat(input_tokens=100), trace_id=trace, duration_ns=5 * SECOND),
        make_span(chat(input_tokens=101), trace_id=trace, start_ns=NOW_NS - 59 * SECOND, duration_ns=SECOND),
        make_span(chat(model="gpt-4o-mini"), trace_id=trace, start_ns=NOW_NS - 59 * SECOND, duration_ns=SECOND),
    ]
    batch = decode(spans)
    assert len(batch.calls) == 3 and batch.duplicates == 0


def test_unknown_token_counts_never_match_by_overlap() -> None:
    trace = new_trace_id()
    outer = make_span(chat(input_tokens=None, output_tokens=None), trace_id=trace, duration_ns=5 * SECOND,
                      status_code=2)
    inner = make_span(chat(input_tokens=None, output_tokens=None), trace_id=trace,
                      start_ns=NOW_NS - 59 * SECOND, duration_ns=SECOND, status_code=2)
    assert len(decode([outer, inner]).calls) == 2


def test_three_stacked_instrumentations_collapse_to_one() -> None:
    trace = new_trace_id()
    top_id, middle_id = new_span_id(), new_span_id()
    top = make_span(chat(), kind=SPAN_KIND_INTERNAL, trace_id=trace, span_id=top_id, duration_ns=9 * SECOND)
    middle = make_span(chat(), kind=SPAN_KIND_INTERNAL, trace_id=trace, span_id=middle_id,
                       parent_span_id=top_id, start_ns=NOW_NS - 59 * SECOND, duration_ns=5 * SECOND)
    bottom = make_span(chat(extra={"user.id": "u"}), trace_id=trace, parent_span_id=middle_id,
                       start_ns=NOW_NS - 58 * SECOND, duration_ns=SECOND)
    batch = decode([top, middle, bottom])
    assert only_call(batch).span_id == bottom.span_id
    assert batch.duplicates == 2
    assert [s.span_kind_hint for s in batch.skeletons] == ["duplicate_llm", "duplicate_llm"]


def test_a_span_sent_twice_in_one_request_is_kept_once() -> None:
    span = make_span(chat())
    batch = decode([span, span])
    assert len(batch.calls) == 1
    assert batch.dedup_rules.get("span_id") == 1 and batch.rejected == 0


def test_explicit_request_type_wins_over_a_traceloop_task_kind() -> None:
    call = only_call(decode(make_span({"llm.request.type": "chat", "traceloop.span.kind": "task",
                                       "gen_ai.request.model": "gpt-4o"}, name="ChatOpenAI.chat")))
    assert call.operation == "chat"


def test_openinference_chain_span_with_token_counts_is_not_a_call() -> None:
    batch = decode(make_span({"openinference.span.kind": "CHAIN", "llm.token_count.prompt": 50,
                              "llm.model_name": "gpt-4o"}, name="RunnableSequence", kind=SPAN_KIND_INTERNAL))
    assert batch.calls == [] and batch.skeletons[0].span_kind_hint == "chain"


def test_parent_cycles_terminate_and_a_self_parented_call_stays_a_call() -> None:
    trace = new_trace_id()
    first_id, second_id = new_span_id(), new_span_id()
    first = make_span(chat(input_tokens=1), trace_id=trace, span_id=first_id, parent_span_id=second_id)
    second = make_span(chat(input_tokens=2), trace_id=trace, span_id=second_id, parent_span_id=first_id,
                       start_ns=NOW_NS - 30 * SECOND)
    batch = decode([first, second])
    assert len(batch.calls) + len(batch.skeletons) == 2 and batch.rejected == 0
    self_loop = make_span(chat(), trace_id=trace, span_id=(span_id := new_span_id()), parent_span_id=span_id)
    assert len(decode(self_loop).calls) == 1


def test_span_skeleton_field_order_is_the_one_the_decoder_builds_positionally() -> None:
    from dataclasses import fields

    from modelmix.records import SpanSkeleton

    assert [f.name for f in fields(SpanSkeleton)] == [
        "trace_id", "span_id", "parent_span_id", "name", "start_time", "end_time", "service", "environment",
        "kind", "status", "task", "workflow_name", "trace_name", "agent_name", "escalated_from", "verification",
        "span_kind_hint",
    ]
