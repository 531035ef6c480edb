"""Fixtures for demo tests: a small demo run captured by the SDK's InMemorySpanExporter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from modelmix.demo import DemoSummary, run_demo

# A fixed "now" keeps the captured run identical on every test run.
FIXED_NOW = datetime(2026, 3, 18, 15, 42, tzinfo=UTC)
CALL_OPERATIONS = {"chat", "generate_content", "text_completion"}


@dataclass(frozen=True)
class CapturedRun:
    summary: DemoSummary
    spans: tuple[ReadableSpan, ...]

    @property
    def calls(self) -> list[ReadableSpan]:
        return [s for s in self.spans if (s.attributes or {}).get("gen_ai.operation.name") in CALL_OPERATIONS]


def capture(weeks: int = 2, scale: float = 0.05, seed: int = 42, now: datetime = FIXED_NOW) -> CapturedRun:
    exporter = InMemorySpanExporter()
    summary = run_demo("http://127.0.0.1:4318", weeks=weeks, seed=seed, scale=scale, now=now,
                       exporter_factory=lambda: exporter)
    return CapturedRun(summary, exporter.get_finished_spans())


@pytest.fixture(scope="session")
def captured() -> CapturedRun:
    """Two weeks at 5% volume (about 2,900 calls), captured in memory."""
    return capture()
