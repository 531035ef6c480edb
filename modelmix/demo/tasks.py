"""The demo's tasks: what each service does per run, and how often.

Every function builds one trace. Some tasks name themselves with ``modelmix.task`` (on the root
span, or on the call itself under an HTTP root span); the others rely on their root span's name.
The set covers what the dashboard looks for: cascades with verification (``draft-reply``,
``explain-error``, ``generate-tests``), two-step pipelines that are *not* escalations
(``answer-question`` runs each step under its own span; ``code-review`` follows a frontier call with
a cheaper one), a model rollout (``summarize-thread`` moves from gpt-4o to gpt-4.1-mini halfway),
an agent whose ``invoke_agent`` span carries aggregated usage that must not be counted twice
(``plan-trip``), prompt caching, reasoning tokens, failures with retries, a self-hosted model with no
public price and prompts large enough to reach long-context price tiers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from opentelemetry.trace import SpanKind

from modelmix.demo.catalog import MODELS
from modelmix.demo.schedule import rollout_share
from modelmix.demo.shapes import RunContext, cascade, gap, openai_cached, sized, with_retry
from modelmix.demo.traces import Usage, scope

M = MODELS


def classify_ticket(run: RunContext) -> None:
    b, rng = run.builder, run.rng
    root = b.new_span_id()
    if b.environment == "staging":
        model = M["ft-ticket-classifier"]
    else:
        model = M["acme-ticket-router"] if rng.random() < 0.10 else M["gpt-4o-mini"]
    input_tokens = sized(rng, 650, 200, 3000)
    usage = Usage(input_tokens, sized(rng, 12, 2, 60), openai_cached(rng, input_tokens, 0.5)
                  if model is M["gpt-4o-mini"] else 0)
    end = with_retry(run, model, parent=root, start=run.start + gap(rng), usage=usage, failure_rate=0.012)
    b.span("classify-ticket", parent=None, span_id=root, start=run.start, end=end + gap(rng),
           attributes={"modelmix.task": "classify-ticket"})


def summarize_thread(run: RunContext) -> None:
    b, rng = run.builder, run.rng
    root = b.new_span_id()
    rolled_out = rng.random() < rollout_share(run.fraction)
    model = M["gpt-4.1-mini"] if rolled_out else M["gpt-4o"]
    input_tokens = sized(rng, 3500, 600, 30_000, sigma=0.7)
    usage = Usage(input_tokens, sized(rng, 260, 60, 900), openai_cached(rng, input_tokens, 0.35))
    end = with_retry(run, model, parent=root, start=run.start + gap(rng), usage=usage, failure_rate=0.01)
    b.span("summarize-thread", parent=None, span_id=root, start=run.start, end=end + gap(rng))


def draft_reply(run: RunContext) -> None:
    b, rng = run.builder, run.rng
    root = b.new_span_id()

    def usage() -> Usage:
        input_tokens = sized(rng, 1800, 500, 9000)
        return Usage(input_tokens, sized(rng, 220, 50, 700), openai_cached(rng, input_tokens, 0.6))

    end = cascade(run, parent=root, start=run.start + gap(rng), cheap=M["gpt-4.1-mini"], cheap_usage=usage(),
                  fail_rate=0.18, big=M["gpt-4.1"], big_usage=usage)
    b.span("draft-reply", parent=None, span_id=root, start=run.start, end=end + gap(rng),
           attributes={"modelmix.task": "draft-reply"})


def code_review(run: RunContext) -> None:
    b, rng = run.builder, run.rng
    root = b.new_span_id()
    sonnet, haiku = M["claude-sonnet-4-5"], M["claude-haiku-4-5"]
    huge = rng.random() < 0.02  # a whole-repository review past the 200k long-context price tier
    input_tokens = rng.randint(205_000, 380_000) if huge else sized(rng, 24_000, 5_000, 150_000)
    if rng.random() < 0.75:  # the repository context was cached by an earlier review
        cache_read, cache_write = int(input_tokens * rng.uniform(0.6, 0.9)), 0
    else:
        cache_read, cache_write = 0, int(input_tokens * rng.uniform(0.5, 0.8))
    review = Usage(input_tokens, sized(rng, 900, 150, 4000), cache_read, cache_write)
    end = with_retry(run, sonnet, parent=root, start=run.start + gap(rng), usage=review, failure_rate=0.02)
    if rng.random() < 0.6:  # a cheaper model condenses the findings: a pipeline, not an escalation
        findings = Usage(review.output_tokens + sized(rng, 700, 300, 2000), sized(rng, 150, 40, 400))
        end = b.call(haiku, parent=root, start=end + gap(rng), usage=findings)
        b.tally.pipeline_runs += 1
    b.span("code-review", parent=None, span_id=root, start=run.start, end=end + gap(rng))


def explain_error(run: RunContext) -> None:
    b, rng = run.builder, run.rng
    root = b.new_span_id()
    sonnet, haiku = M["claude-sonnet-4-5"], M["claude-haiku-4-5"]

    def usage() -> Usage:
        return Usage(sized(rng, 900, 150, 3500), sized(rng, 180, 40, 600))

    start = run.start + gap(rng)
    if rng.random() < 0.15:  # the team is trying the small model on a share of traffic
        end = cascade(run, parent=root, start=start, cheap=haiku, cheap_usage=usage(), fail_rate=0.04,
                      big=sonnet, big_usage=usage)
    else:
        end = with_retry(run, sonnet, parent=root, start=start, usage=usage(), failure_rate=0.01)
    b.span("explain-error", parent=None, span_id=root, start=run.start, end=end + gap(rng),
           attributes={"modelmix.task": "explain-error"})


def generate_tests(run: RunContext) -> None:
    b, rng = run.builder, run.rng
    root = b.new_span_id()

    def usage() -> Usage:
        input_tokens = sized(rng, 5000, 1200, 40_000)
        output = sized(rng, 2500, 600, 12_000)
        return Usage(input_tokens, output, openai_cached(rng, input_tokens, 0.5),
                     reasoning_tokens=int(output * rng.uniform(0.4, 0.75)))

    end = cascade(run, parent=root, start=run.start + gap(rng), cheap=M["o4-mini"], cheap_usage=usage(),
                  fail_rate=0.12, big=M["o3"], big_usage=usage)
    b.span("generate-tests", parent=None, span_id=root, start=run.start, end=end + gap(rng))


def extract_entities(run: RunContext) -> None:
    b, rng = run.builder, run.rng
    root = b.new_span_id()
    flash = M["gemini-2.5-flash"]
    input_tokens = sized(rng, 1400, 300, 8000)
    thinking = sized(rng, 120, 20, 600) if rng.random() < 0.3 else 0
    cached = int(input_tokens * rng.uniform(0.3, 0.7)) if input_tokens >= 1024 and rng.random() < 0.2 else 0
    usage = Usage(input_tokens, sized(rng, 90, 10, 400) + thinking, cached, reasoning_tokens=thinking)
    end = with_retry(run, flash, parent=root, start=run.start + gap(rng), usage=usage, failure_rate=0.015,
                     task="extract-entities")
    lookup_start = end + gap(rng)
    end = lookup_start + gap(rng, 5, 60)
    b.span("search-index lookup", parent=root, start=lookup_start, end=end, kind=SpanKind.CLIENT)
    b.span("POST /v1/search", parent=None, span_id=root, start=run.start, end=end + gap(rng),
           kind=SpanKind.SERVER, attributes={"http.request.method": "POST", "http.route": "/v1/search",
                                             "http.response.status_code": 200})


def answer_question(run: RunContext) -> None:
    b, rng = run.builder, run.rng
    root = b.new_span_id()
    t = run.start + gap(rng)
    rewrite = b.new_span_id()
    rewrite_usage = Usage(sized(rng, 420, 120, 1500), sized(rng, 40, 8, 150))
    call_end = b.call(M["gemini-2.5-flash"], parent=rewrite, start=t + gap(rng, 1, 3), usage=rewrite_usage)
    b.span("rewrite-query", parent=root, span_id=rewrite, start=t, end=call_end + gap(rng, 1, 3))
    t = call_end + gap(rng)
    retrieved_at = t + gap(rng, 30, 150)
    b.span("retrieve", parent=root, start=t, end=retrieved_at, attributes={"db.system.name": "postgresql"})
    t = retrieved_at + gap(rng)
    compose = b.new_span_id()
    input_tokens = sized(rng, 6000, 1500, 30_000)
    thinking = sized(rng, 250, 50, 2000)
    cached = int(input_tokens * rng.uniform(0.2, 0.5)) if rng.random() < 0.25 else 0
    answer_usage = Usage(input_tokens, sized(rng, 450, 80, 2000) + thinking, cached, reasoning_tokens=thinking)
    call_end = with_retry(run, M["gemini-2.5-pro"], parent=compose, start=t + gap(rng, 1, 3),
                          usage=answer_usage, failure_rate=0.01)
    compose_end = call_end + gap(rng, 1, 3)
    b.span("compose-answer", parent=root, span_id=compose, start=t, end=compose_end)
    b.tally.pipeline_runs += 1
    b.span("answer-question", parent=None, span_id=root, start=run.start, end=compose_end + gap(rng))


def plan_trip(run: RunContext) -> None:
    b, rng = run.builder, run.rng
    root, agent = b.new_span_id(), b.new_span_id()
    planner, formatter = M["bedrock-claude-sonnet-4-5"], M["bedrock-claude-haiku-4-5"]
    t = run.start + gap(rng)
    agent_start = t
    context = sized(rng, 2500, 1200, 6000)
    total_in = total_out = 0
    tools = ("search_flights", "search_hotels", "get_weather", "check_visa_rules")
    for step in range(rng.randint(2, 4)):
        usage = Usage(context, sized(rng, 160, 40, 500), cache_read_tokens=context - 900 if step else 0,
                      cache_write_tokens=0 if step else context - 900)
        t = b.call(planner, parent=agent, start=t + gap(rng), usage=usage, finish_reason="tool_use")
        tool = rng.choice(tools)
        tool_start = t + gap(rng)
        t = tool_start + gap(rng, 80, 900)
        b.span(f"execute_tool {tool}", parent=agent, start=tool_start, end=t,
               instrumentation=scope("opentelemetry.instrumentation.botocore.bedrock-runtime", "0.55b0"),
               attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool})
        total_in += usage.input_tokens
        total_out += usage.output_tokens
        context += usage.output_tokens + sized(rng, 600, 150, 3000)
    final = Usage(context, sized(rng, 700, 200, 2000))
    t = b.call(formatter, parent=agent, start=t + gap(rng), usage=final)
    total_in += final.input_tokens
    total_out += final.output_tokens
    # Agent frameworks put the run's aggregated usage on the invoke_agent span: not a call of its own.
    b.span("invoke_agent trip-planner", parent=root, span_id=agent, start=agent_start, end=t + gap(rng, 1, 3),
           attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "trip-planner",
                       "gen_ai.provider.name": "aws.bedrock", "gen_ai.request.model": planner.request_model,
                       "gen_ai.usage.input_tokens": total_in, "gen_ai.usage.output_tokens": total_out})
    b.span("plan-trip", parent=None, span_id=root, start=run.start, end=t + gap(rng, 5, 10))


@dataclass(frozen=True)
class TaskShape:
    name: str
    service: str
    runs_per_weekday: float  # at scale 1.0, before weekday, growth and noise
    build: Callable[[RunContext], None]


TASKS: tuple[TaskShape, ...] = (
    TaskShape("classify-ticket", "support-bot", 1100, classify_ticket),
    TaskShape("summarize-thread", "support-bot", 390, summarize_thread),
    TaskShape("draft-reply", "support-bot", 470, draft_reply),
    TaskShape("code-review", "code-assistant", 270, code_review),
    TaskShape("explain-error", "code-assistant", 350, explain_error),
    TaskShape("generate-tests", "code-assistant", 160, generate_tests),
    TaskShape("extract-entities", "search-api", 700, extract_entities),
    TaskShape("answer-question", "search-api", 390, answer_question),
    TaskShape("plan-trip", "travel-agent", 95, plan_trip),
)
