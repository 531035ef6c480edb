"""The demo's spans, as the SDK's InMemorySpanExporter receives them: GenAI attributes, backdated
times, escalations marked and unmarked half and half, pipelines that are not escalations, a rollout,
and a summary that agrees with the spans actually produced."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from tests.demo.conftest import FIXED_NOW, CapturedRun, capture

NS = 1_000_000_000
WINDOW_END = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)  # FIXED_NOW floored to the hour
WINDOW_START = WINDOW_END - timedelta(weeks=2)
DATED = re.compile(r"(\d{4}-\d{2}-\d{2}|\d{8})")
# The test's own knowledge of which demo models are the bigger sibling of which.
ESCALATION_PAIRS = {("gpt-4.1-mini", "gpt-4.1"), ("claude-haiku-4-5", "claude-sonnet-4-5"), ("o4-mini", "o3")}
CONTENT_PREFIXES = ("gen_ai.prompt", "gen_ai.completion", "gen_ai.input.messages", "gen_ai.output.messages",
                    "gen_ai.system_instructions", "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",
                    "input.value", "output.value", "llm.input_messages", "llm.output_messages")


def attrs(span: ReadableSpan) -> dict[str, object]:
    return dict(span.attributes or {})


def num(a: dict[str, object], key: str) -> int:
    """A token count from span attributes; absent counts as 0 here (sums of what was reported)."""
    value = a.get(key, 0)
    assert isinstance(value, int), (key, value)
    return value


def by_trace(spans: tuple[ReadableSpan, ...]) -> dict[int, list[ReadableSpan]]:
    traces: dict[int, list[ReadableSpan]] = defaultdict(list)
    for span in spans:
        traces[span.context.trace_id].append(span)
    return traces


def ts(ns: int | None) -> datetime:
    assert ns is not None
    return datetime.fromtimestamp(ns / NS, UTC)


def test_every_call_span_carries_the_genai_attributes(captured: CapturedRun) -> None:
    calls = captured.calls
    assert len(calls) > 1500
    for span in calls:
        a = attrs(span)
        assert span.kind is SpanKind.CLIENT
        assert a["gen_ai.provider.name"] in {"openai", "anthropic", "gcp.gemini", "aws.bedrock"}
        assert span.name == f"{a['gen_ai.operation.name']} {a['gen_ai.request.model']}"
        assert span.instrumentation_scope is not None
        assert span.instrumentation_scope.name.startswith("opentelemetry.instrumentation.")
        if span.status.status_code is StatusCode.ERROR:
            assert a["error.type"]
            assert "gen_ai.usage.input_tokens" not in a and "gen_ai.usage.output_tokens" not in a
            assert [e.name for e in span.events] == ["exception"]
            continue
        assert isinstance(a["gen_ai.usage.input_tokens"], int) and a["gen_ai.usage.input_tokens"] > 0
        assert isinstance(a["gen_ai.usage.output_tokens"], int) and a["gen_ai.usage.output_tokens"] > 0
        assert isinstance(a["gen_ai.response.finish_reasons"], tuple) and a["gen_ai.response.finish_reasons"]
        cached = num(a, "gen_ai.usage.cache_read.input_tokens") + num(a, "gen_ai.usage.cache_creation.input_tokens")
        assert cached <= num(a, "gen_ai.usage.input_tokens"), "input tokens must include the cache"
        assert num(a, "gen_ai.usage.reasoning.output_tokens") <= num(a, "gen_ai.usage.output_tokens")
        if a["gen_ai.provider.name"] in {"openai", "anthropic"} and "acme" not in str(a["gen_ai.request.model"]):
            assert DATED.search(str(a["gen_ai.response.model"])), a["gen_ai.response.model"]
            assert str(a["gen_ai.response.model"]).startswith(str(a["gen_ai.request.model"]).split(":")[0])


def test_the_mix_covers_providers_models_services_and_environments(captured: CapturedRun) -> None:
    calls = captured.calls
    assert {attrs(s)["gen_ai.provider.name"] for s in calls} == {"openai", "anthropic", "gcp.gemini", "aws.bedrock"}
    served = Counter(str(attrs(s).get("gen_ai.response.model") or attrs(s)["gen_ai.request.model"]) for s in calls)
    for model in ("gpt-4o-mini-2024-07-18", "gpt-4.1-mini-2025-04-14", "claude-sonnet-4-5-20250929",
                  "claude-haiku-4-5-20251001", "gemini-2.5-pro", "gemini-2.5-flash",
                  "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "acme-ticket-router-v3"):
        assert served[model] > 0, model
    assert {s.resource.attributes["service.name"] for s in calls} == {
        "support-bot", "code-assistant", "search-api", "travel-agent"}
    environments = Counter(s.resource.attributes["deployment.environment.name"] for s in calls)
    assert environments["production"] > 10 * environments["staging"] > 0
    operations = {attrs(s)["gen_ai.operation.name"] for s in calls}
    assert operations == {"chat", "generate_content"}


def test_usage_shows_caching_reasoning_failures_and_long_prompts(captured: CapturedRun) -> None:
    calls = [attrs(s) for s in captured.calls]
    assert sum(1 for a in calls if num(a, "gen_ai.usage.cache_read.input_tokens") > 0) > 100
    assert sum(1 for a in calls if num(a, "gen_ai.usage.cache_creation.input_tokens") > 0) > 20
    assert sum(1 for a in calls if num(a, "gen_ai.usage.reasoning.output_tokens") > 0) > 50
    assert any(num(a, "gen_ai.usage.input_tokens") > 200_000 for a in calls)
    failed = [a for a in calls if "error.type" in a]
    assert 0.003 < len(failed) / len(calls) < 0.05
    finish = Counter(a["gen_ai.response.finish_reasons"][0] for a in calls  # type: ignore[index]
                     if "gen_ai.response.finish_reasons" in a)
    assert {"stop", "end_turn", "tool_use"} <= set(finish)


def test_spans_are_backdated_inside_the_window_and_nested_in_time(captured: CapturedRun) -> None:
    spans = captured.spans
    assert captured.summary.window_start == WINDOW_START and captured.summary.window_end == WINDOW_END
    starts = [ts(s.start_time) for s in spans]
    assert min(starts) >= WINDOW_START
    assert max(ts(s.end_time) for s in spans) <= WINDOW_END
    assert max(starts) - min(starts) > timedelta(days=13)
    by_id = {(s.context.trace_id, s.context.span_id): s for s in spans}
    for span in spans:
        assert span.end_time is not None and span.start_time is not None and span.end_time > span.start_time
        if span.parent is None:
            continue
        parent = by_id[(span.context.trace_id, span.parent.span_id)]
        assert ts(parent.start_time) <= ts(span.start_time) and ts(span.end_time) <= ts(parent.end_time)
    # Traffic follows the working day: the busiest UTC hours carry far more than the quietest.
    hours = Counter(t.hour for t in starts)
    assert hours.most_common(1)[0][1] > 5 * min(hours[h] for h in range(24))


def test_every_trace_has_one_root_and_known_task_names(captured: CapturedRun) -> None:
    roots: Counter[str] = Counter()
    task_attr_roots: set[str] = set()
    for trace in by_trace(captured.spans).values():
        trace_roots = [s for s in trace if s.parent is None]
        assert len(trace_roots) == 1
        roots[trace_roots[0].name] += 1
        if "modelmix.task" in attrs(trace_roots[0]):
            task_attr_roots.add(trace_roots[0].name)
    assert set(roots) == {"classify-ticket", "summarize-thread", "draft-reply", "code-review", "explain-error",
                          "generate-tests", "POST /v1/search", "answer-question", "plan-trip"}
    # Some tasks name themselves with modelmix.task, the others rely on the root span's name.
    assert task_attr_roots == {"classify-ticket", "draft-reply", "explain-error"}
    search_calls = [s for s in captured.calls if s.resource.attributes["service.name"] == "search-api"
                    and attrs(s)["gen_ai.request.model"] == "gemini-2.5-flash"
                    and "modelmix.task" in attrs(s)]
    assert search_calls and {attrs(s)["modelmix.task"] for s in search_calls} == {"extract-entities"}


def _escalations(captured: CapturedRun) -> tuple[int, int]:
    """Count (marked, unmarked) escalations by looking at the spans alone."""
    marked = unmarked = 0
    for trace in by_trace(captured.spans).values():
        spans_by_id = {s.context.span_id: s for s in trace}
        calls = sorted((s for s in trace if attrs(s).get("gen_ai.operation.name") in {"chat", "generate_content"}),
                       key=lambda s: s.start_time or 0)
        for i, cheap in enumerate(calls):
            if attrs(cheap).get("modelmix.verification") != "fail":
                continue
            later = [c for c in calls[i + 1:] if attrs(c)["gen_ai.request.model"] != attrs(cheap)["gen_ai.request.model"]]
            if not later:
                continue  # the big model itself failed verification: nothing above it
            big = later[0]
            pair = (str(attrs(cheap)["gen_ai.request.model"]), str(attrs(big)["gen_ai.request.model"]))
            assert pair in ESCALATION_PAIRS, pair
            assert big.parent is not None and cheap.parent is not None
            parent = spans_by_id[big.parent.span_id]
            if parent.name == "escalate":
                assert attrs(parent)["modelmix.escalated_from"] == pair[0]
                assert parent.parent is not None and parent.parent.span_id == cheap.parent.span_id
                marked += 1
            else:
                assert big.parent.span_id == cheap.parent.span_id, "an unmarked escalation shares the parent"
                unmarked += 1
    return marked, unmarked


def test_escalations_are_half_marked_half_unmarked(captured: CapturedRun) -> None:
    marked, unmarked = _escalations(captured)
    assert marked > 20 and unmarked > 20
    assert abs(marked - unmarked) <= 1
    assert (marked, unmarked) == (captured.summary.escalations_marked, captured.summary.escalations_unmarked)
    escalate_spans = [s for s in captured.spans if s.name == "escalate"]
    assert len(escalate_spans) == marked


def test_verification_outcomes_are_recorded_on_calls(captured: CapturedRun) -> None:
    verdicts = Counter(attrs(s).get("modelmix.verification") for s in captured.calls)
    assert verdicts["pass"] > 5 * verdicts["fail"] > 0
    assert (verdicts["pass"], verdicts["fail"]) == (captured.summary.verification_pass,
                                                    captured.summary.verification_fail)


def test_two_step_pipelines_are_not_shaped_like_escalations(captured: CapturedRun) -> None:
    traces = by_trace(captured.spans)
    answer = [t for t in traces.values() if any(s.name == "answer-question" for s in t)]
    assert answer
    for trace in answer:
        calls = [s for s in trace if attrs(s).get("gen_ai.operation.name") == "generate_content"]
        ok_calls = [c for c in calls if c.status.status_code is not StatusCode.ERROR]
        assert [attrs(c)["gen_ai.request.model"] for c in ok_calls] == ["gemini-2.5-flash", "gemini-2.5-pro"]
        names = {s.context.span_id: s.name for s in trace}
        assert [names[c.parent.span_id] for c in ok_calls] == ["rewrite-query", "compose-answer"]  # type: ignore[union-attr]
        assert not any("modelmix.escalated_from" in attrs(s) for s in trace)
    reviews = [t for t in traces.values() if any(s.name == "code-review" for s in t)]
    followed = 0
    for trace in reviews:
        ok = sorted((s for s in trace if "gen_ai.usage.input_tokens" in attrs(s)), key=lambda s: s.start_time or 0)
        models = [attrs(s)["gen_ai.request.model"] for s in ok]
        assert models in (["claude-sonnet-4-5"], ["claude-sonnet-4-5", "claude-haiku-4-5"])
        followed += len(models) == 2
    assert 0 < followed < len(reviews)


def test_summarize_thread_rolls_out_from_gpt_4o_to_gpt_4_1_mini(captured: CapturedRun) -> None:
    window = (WINDOW_END - WINDOW_START).total_seconds()
    early: Counter[object] = Counter()
    late: Counter[object] = Counter()
    for trace in by_trace(captured.spans).values():
        if not any(s.name == "summarize-thread" for s in trace):
            continue
        for call in (s for s in trace if "gen_ai.request.model" in attrs(s)):
            position = (ts(call.start_time) - WINDOW_START).total_seconds() / window
            if position < 0.45:
                early[attrs(call)["gen_ai.request.model"]] += 1
            elif position > 0.7:
                late[attrs(call)["gen_ai.request.model"]] += 1
    assert set(early) == {"gpt-4o"} and set(late) == {"gpt-4.1-mini"}


def test_the_agent_span_carries_aggregated_usage_but_is_not_a_call(captured: CapturedRun) -> None:
    agents = [s for s in captured.spans if attrs(s).get("gen_ai.operation.name") == "invoke_agent"]
    assert agents
    for agent in agents:
        children = [s for s in captured.spans if s.parent is not None and s.parent.span_id == agent.context.span_id
                    and s.context.trace_id == agent.context.trace_id
                    and "gen_ai.usage.input_tokens" in attrs(s)]
        assert len(children) >= 3
        assert attrs(agent)["gen_ai.usage.input_tokens"] == sum(attrs(c)["gen_ai.usage.input_tokens"]  # type: ignore[misc]
                                                                for c in children)
    assert captured.summary.calls == len(captured.calls)


def test_no_prompt_or_completion_content_is_emitted(captured: CapturedRun) -> None:
    for span in captured.spans:
        for key in attrs(span):
            assert not key.startswith(CONTENT_PREFIXES), key
        for event in span.events:
            assert not event.name.startswith("gen_ai."), event.name


def test_the_summary_agrees_with_the_spans(captured: CapturedRun) -> None:
    s, calls = captured.summary, [attrs(c) for c in captured.calls]
    assert s.spans == len(captured.spans)
    assert s.traces == len(by_trace(captured.spans)) == sum(s.runs_by_task.values())
    assert s.calls == len(calls)
    assert s.failed_calls == sum(1 for a in calls if "error.type" in a)
    assert s.calls_by_model == dict(Counter(str(a.get("gen_ai.response.model") or a["gen_ai.request.model"])
                                            for a in calls))
    assert s.calls_by_provider == dict(Counter(str(a["gen_ai.provider.name"]) for a in calls))
    for field, key in (("input_tokens", "gen_ai.usage.input_tokens"), ("output_tokens", "gen_ai.usage.output_tokens"),
                       ("cache_read_tokens", "gen_ai.usage.cache_read.input_tokens"),
                       ("cache_write_tokens", "gen_ai.usage.cache_creation.input_tokens"),
                       ("reasoning_tokens", "gen_ai.usage.reasoning.output_tokens")):
        assert getattr(s, field) == sum(num(a, key) for a in calls), field


def test_the_same_seed_replays_the_same_spans_and_another_seed_does_not(captured: CapturedRun) -> None:
    again = capture()
    assert [(x.context.trace_id, x.context.span_id, x.start_time, x.attributes) for x in again.spans] == [
        (x.context.trace_id, x.context.span_id, x.start_time, x.attributes) for x in captured.spans]
    other = capture(seed=7)
    assert {x.context.trace_id for x in other.spans}.isdisjoint({x.context.trace_id for x in captured.spans})
    later = capture(now=FIXED_NOW + timedelta(hours=1))
    assert {x.context.trace_id for x in later.spans}.isdisjoint({x.context.trace_id for x in captured.spans})
