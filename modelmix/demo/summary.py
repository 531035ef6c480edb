"""What a demo run generated and delivered: a running tally while it works, a frozen summary after.

``DemoTally`` is filled in by the trace builder as it creates each span, so the numbers describe
exactly the spans that went out. ``DemoSummary`` is what ``run_demo`` returns; its call counts and
token sums are what a correct collector stores (a test compares the two). Token sums cover only
calls that reported the count; failed calls report none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class DemoTally:
    traces: int = 0
    spans: int = 0
    calls: int = 0
    failed_calls: int = 0
    calls_by_model: Counter[str] = field(default_factory=Counter)
    calls_by_provider: Counter[str] = field(default_factory=Counter)
    calls_by_service: Counter[str] = field(default_factory=Counter)
    calls_by_environment: Counter[str] = field(default_factory=Counter)
    runs_by_task: Counter[str] = field(default_factory=Counter)
    escalations_marked: int = 0
    escalations_unmarked: int = 0
    pipeline_runs: int = 0
    verification_pass: int = 0
    verification_fail: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class DemoSummary:
    """What one demo run sent over OTLP, and how long it took."""

    endpoint: str
    seed: int
    weeks: int
    scale: float
    window_start: datetime
    window_end: datetime
    traces: int
    spans: int
    calls: int
    failed_calls: int
    calls_by_model: dict[str, int]
    calls_by_provider: dict[str, int]
    calls_by_service: dict[str, int]
    calls_by_environment: dict[str, int]
    runs_by_task: dict[str, int]
    escalations_marked: int
    escalations_unmarked: int
    pipeline_runs: int
    verification_pass: int
    verification_fail: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    requests: int
    elapsed_seconds: float

    @classmethod
    def from_tally(cls, tally: DemoTally, **run: Any) -> DemoSummary:
        return cls(
            traces=tally.traces, spans=tally.spans, calls=tally.calls, failed_calls=tally.failed_calls,
            calls_by_model=dict(sorted(tally.calls_by_model.items())),
            calls_by_provider=dict(sorted(tally.calls_by_provider.items())),
            calls_by_service=dict(sorted(tally.calls_by_service.items())),
            calls_by_environment=dict(sorted(tally.calls_by_environment.items())),
            runs_by_task=dict(sorted(tally.runs_by_task.items())),
            escalations_marked=tally.escalations_marked, escalations_unmarked=tally.escalations_unmarked,
            pipeline_runs=tally.pipeline_runs,
            verification_pass=tally.verification_pass, verification_fail=tally.verification_fail,
            input_tokens=tally.input_tokens, output_tokens=tally.output_tokens,
            cache_read_tokens=tally.cache_read_tokens, cache_write_tokens=tally.cache_write_tokens,
            reasoning_tokens=tally.reasoning_tokens,
            **run,
        )

    @property
    def spans_per_second(self) -> float:
        return self.spans / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def describe(self) -> str:
        """A few lines for people: what was sent, and the shape of it."""
        escalations = self.escalations_marked + self.escalations_unmarked
        lines = [
            f"sent {self.calls:,} LLM calls in {self.traces:,} traces ({self.spans:,} spans, "
            f"{self.requests:,} OTLP requests) in {self.elapsed_seconds:.1f}s "
            f"({self.spans_per_second:,.0f} spans/s)",
            f"window {self.window_start:%Y-%m-%d %H:%M} → {self.window_end:%Y-%m-%d %H:%M} UTC "
            f"({self.weeks} weeks, seed {self.seed})",
            f"failed calls {self.failed_calls:,}; escalations {escalations:,} "
            f"({self.escalations_marked:,} marked, {self.escalations_unmarked:,} unmarked); "
            f"two-step pipeline runs {self.pipeline_runs:,}",
            "calls by provider: " + ", ".join(f"{k} {v:,}" for k, v in self.calls_by_provider.items()),
        ]
        return "\n".join(lines)
