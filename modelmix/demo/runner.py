"""``run_demo``: generate the demo's traffic and send it to a collector over OTLP/HTTP.

The caller's thread builds traces and groups whole traces into batches; worker threads export
them. The progress callback is always called from the caller's thread (so a dashboard can update
its widgets from it) with (traces delivered, traces planned).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter

from modelmix.demo.delivery import (
    DemoError,
    ParallelExporter,
    check_receiver,
    otlp_exporter_factory,
    receiver_url,
)
from modelmix.demo.generator import iter_traces, plan_runs
from modelmix.demo.schedule import demo_window
from modelmix.demo.summary import DemoSummary, DemoTally

Progress = Callable[[int, int], None]


def run_demo(
    endpoint: str,
    weeks: int = 8,
    seed: int = 42,
    progress: Progress | None = None,
    *,
    scale: float = 1.0,
    headers: Mapping[str, str] | None = None,
    workers: int = 4,
    batch_spans: int = 2_000,
    now: datetime | None = None,
    exporter_factory: Callable[[], SpanExporter] | None = None,
) -> DemoSummary:
    """Send ``weeks`` of backdated demo traffic to the OTLP/HTTP receiver at ``endpoint``.

    ``scale`` multiplies the volume (1.0 is about 4,000 calls a day); ``headers`` go on every
    request (e.g. ``Authorization: Bearer …``); ``exporter_factory`` replaces the OTLP exporter
    (tests pass an in-memory one, and no receiver check is made then). Raises ``ValueError`` for a
    bad argument and ``DemoError`` when the traffic cannot be delivered.
    """
    window = demo_window(weeks, now)
    if not _is_whole(seed):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if not _is_number(scale) or not 0 < scale <= 20:  # also rejects NaN
        raise ValueError(f"scale must be above 0 and at most 20, got {scale!r}")
    if not _is_whole(workers) or not 1 <= workers <= 32:
        raise ValueError(f"workers must be from 1 to 32, got {workers!r}")
    if not _is_whole(batch_spans) or not 1 <= batch_spans <= 50_000:
        raise ValueError(f"batch_spans must be from 1 to 50000, got {batch_spans!r}")
    url = receiver_url(endpoint)
    if exporter_factory is None:
        check_receiver(url, headers)
        exporter_factory = otlp_exporter_factory(url, headers)

    started = time.monotonic()
    plan = plan_runs(seed, window, scale)
    planned = sum(sum(counts) for counts in plan)
    tally = DemoTally()
    sender = ParallelExporter(exporter_factory, workers)
    batch: list[ReadableSpan] = []
    batch_traces = 0
    completed = False
    try:
        for spans in iter_traces(seed, window, plan, tally):
            batch.extend(spans)
            batch_traces += 1
            if len(batch) >= batch_spans:
                if not sender.submit(batch, batch_traces):
                    break
                batch, batch_traces = [], 0
                if progress:
                    progress(sender.delivered_traces, planned)
        else:
            if batch:
                sender.submit(batch, batch_traces)
            completed = True
    finally:
        sender.close(cancel=not completed)
    if sender.failure:
        raise DemoError(
            f"{sender.failure} {sender.delivered_traces:,} of {planned:,} traces were delivered before it. "
            "Running the demo again within the same hour resends identical spans, which the collector "
            "de-duplicates."
        )
    if progress:
        progress(sender.delivered_traces, planned)
    return DemoSummary.from_tally(
        tally, endpoint=url, seed=seed, weeks=weeks, scale=scale, window_start=window.start,
        window_end=window.end, requests=sender.requests, elapsed_seconds=time.monotonic() - started,
    )


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
