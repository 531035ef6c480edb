"""Turn the schedule and the task shapes into a stream of finished traces.

``plan_runs`` decides how many runs of each task every 24-hour slice of the window gets (known up
front, so progress can be shown against a total); ``iter_traces`` then builds those runs slice by
slice, oldest first, and yields each trace's spans as soon as its root span exists. Nothing is
kept in memory beyond one trace.
"""

from __future__ import annotations

from collections.abc import Iterator

from opentelemetry.sdk.trace import ReadableSpan

from modelmix.demo.catalog import SERVICES
from modelmix.demo.schedule import (
    DemoWindow,
    day_factor,
    hour_weights,
    runs_for_day,
    sample_start_ns,
    slice_rng,
)
from modelmix.demo.shapes import EscalationMarker, RunContext
from modelmix.demo.summary import DemoTally
from modelmix.demo.tasks import TASKS
from modelmix.demo.traces import TraceBuilder

RunPlan = list[list[int]]  # [slice][task index] -> number of runs


def plan_runs(seed: int, window: DemoWindow, scale: float) -> RunPlan:
    plan: RunPlan = []
    for day in range(window.days):
        rng = slice_rng(seed, window, day, "volume")
        factor = day_factor(window, day)
        plan.append([runs_for_day(rng, task.runs_per_weekday, factor, scale) for task in TASKS])
    return plan


def iter_traces(seed: int, window: DemoWindow, plan: RunPlan, tally: DemoTally) -> Iterator[list[ReadableSpan]]:
    """Yield the spans of every planned run, one trace at a time, counting them in ``tally``."""
    escalations = EscalationMarker()
    for day, counts in enumerate(plan):
        rng = slice_rng(seed, window, day, "traces")
        slice_start = window.slice_start_ns(day)
        cum_weights = hour_weights(slice_start)
        for task, runs in zip(TASKS, counts, strict=True):
            staging_share = SERVICES[task.service].staging_share
            for _ in range(runs):
                environment = "staging" if rng.random() < staging_share else "production"
                start = sample_start_ns(rng, slice_start, cum_weights)
                builder = TraceBuilder(rng, task.service, environment, tally)
                task.build(RunContext(builder, rng, start, window.fraction(start), escalations))
                tally.traces += 1
                tally.runs_by_task[task.name] += 1
                yield builder.spans
