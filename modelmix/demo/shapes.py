"""Building blocks the demo's tasks share: token sizes, caching, retries and escalations.

A task run is written as ordinary code against a ``RunContext`` (its trace builder, random
generator and position in the window). The helpers here keep the numbers plausible: token counts
are log-normal around a median, OpenAI caches prompt prefixes of 1,024 tokens and more in
128-token steps, a failed call is retried on the same model (a retry is not an escalation), and an
escalation after a failed verification is marked with an ``escalate`` span carrying
``modelmix.escalated_from`` for every other escalation and left unmarked (the bigger call under
the same parent as the cheap one) for the rest.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from modelmix.demo.catalog import DemoModel
from modelmix.demo.traces import NS, TraceBuilder, Usage


class EscalationMarker:
    """Alternates marked and unmarked escalations, so exactly half (±1) carry the marker."""

    def __init__(self) -> None:
        self._marked_next = True

    def next_marked(self) -> bool:
        marked = self._marked_next
        self._marked_next = not marked
        return marked


@dataclass
class RunContext:
    builder: TraceBuilder
    rng: random.Random
    start: int  # ns, the root span's start
    fraction: float  # position of the run in the demo window, 0..1
    escalations: EscalationMarker


def sized(rng: random.Random, median: float, lo: int, hi: int, sigma: float = 0.5) -> int:
    """A log-normal count around ``median``, clamped to [lo, hi]."""
    return max(lo, min(hi, int(median * math.exp(rng.gauss(0.0, sigma)))))


def gap(rng: random.Random, lo_ms: float = 2.0, hi_ms: float = 40.0) -> int:
    """A short pause between two steps, in ns."""
    return int(rng.uniform(lo_ms, hi_ms) * 1_000_000)


def openai_cached(rng: random.Random, input_tokens: int, hit_rate: float) -> int:
    """Cached prefix an OpenAI-style automatic cache would report (0 below 1,024 tokens)."""
    if input_tokens < 1024 or rng.random() >= hit_rate:
        return 0
    cacheable = int(input_tokens * rng.uniform(0.5, 0.95))
    return max(1024, cacheable - cacheable % 128) if cacheable >= 1024 else 0


def with_retry(
    run: RunContext,
    model: DemoModel,
    *,
    parent: int,
    start: int,
    usage: Usage,
    failure_rate: float,
    task: str | None = None,
    finish_reason: str | None = None,
) -> int:
    """One call that sometimes fails first and is retried on the same model; returns the end time."""
    builder, rng = run.builder, run.rng
    if rng.random() < failure_rate:
        failed_end = builder.call(model, parent=parent, start=start, usage=None,
                                  error_type=rng.choice(model.error_types), task=task)
        start = failed_end + int(rng.uniform(0.5, 3.0) * NS)
    return builder.call(model, parent=parent, start=start, usage=usage, task=task, finish_reason=finish_reason)


def cascade(
    run: RunContext,
    *,
    parent: int,
    start: int,
    cheap: DemoModel,
    cheap_usage: Usage,
    fail_rate: float,
    big: DemoModel,
    big_usage: Callable[[], Usage],
    big_fail_rate: float = 0.03,
    task: str | None = None,
) -> int:
    """Default to small, cascade up when verification fails; returns the end of the last call."""
    builder, rng = run.builder, run.rng
    failed = rng.random() < fail_rate
    end = builder.call(cheap, parent=parent, start=start, usage=cheap_usage,
                       verification="fail" if failed else "pass", task=task)
    if not failed:
        return end
    big_start = end + gap(rng, 30, 400)  # the verifier ran in between
    verdict = "fail" if rng.random() < big_fail_rate else "pass"
    if run.escalations.next_marked():
        escalate_id = builder.new_span_id()
        big_end = builder.call(big, parent=escalate_id, start=big_start + gap(rng, 1, 3), usage=big_usage(),
                               verification=verdict, task=task)
        end = big_end + gap(rng, 1, 3)
        builder.span("escalate", parent=parent, span_id=escalate_id, start=big_start, end=end,
                     attributes={"modelmix.escalated_from": cheap.request_model,
                                 "modelmix.escalation_reason": "verification failed"})
        builder.tally.escalations_marked += 1
        return end
    builder.tally.escalations_unmarked += 1
    return builder.call(big, parent=parent, start=big_start, usage=big_usage(), verification=verdict, task=task)
