"""Model-mix gauges for alerting, computed from the hourly rollups and task runs.

``model_mix_gauges(engine)`` returns gauge families over trailing windows (``24h`` and ``7d`` by
default; a window covers the whole hours since ``now - window``):

- ``modelmix_calls``, ``modelmix_tokens`` (``direction`` = input | output), ``modelmix_cost_usd``
  (priced calls only) and ``modelmix_unpriced_calls`` by service, environment, task, model
  (canonical), provider, tier, kind (llm | embedding) and status — sum them by any label;
- ``modelmix_frontier_share`` (``measure`` = calls | tokens | cost) overall and
  ``modelmix_frontier_share_by_service``, over inference calls (cost: over priced calls);
- ``modelmix_task_runs``, ``modelmix_escalated_runs`` and ``modelmix_escalation_rate`` by task.

``ModelMixGaugeCollector(engine, ttl_seconds=30)`` is a prometheus-client collector serving them:
``registry.register(ModelMixGaugeCollector(engine))``. Results are cached for the TTL so scrapes do
not hammer PostgreSQL; registering runs no query. If a refresh fails, the last good samples are
served and ``modelmix_gauges_refresh_ok`` drops to 0.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

WINDOWS: Mapping[str, timedelta] = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
UNKNOWN = "unknown"
MIX_LABELS = ("window", "service", "environment", "task", "model", "provider", "tier", "kind", "status")


@dataclass
class GaugeFamily:
    """One gauge: its name, help text, label names and samples (label values, value)."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    samples: list[tuple[tuple[str, ...], float]] = field(default_factory=list)


def _families() -> dict[str, GaugeFamily]:
    specs = [
        ("modelmix_calls", "LLM and embedding calls in the window.", MIX_LABELS),
        ("modelmix_tokens", "Known tokens in the window (input includes cached).", (*MIX_LABELS, "direction")),
        ("modelmix_cost_usd", "Cost of priced calls in the window, USD.", MIX_LABELS),
        ("modelmix_unpriced_calls", "Calls with no known price in the window.", MIX_LABELS),
        ("modelmix_frontier_share", "Share of inference calls / tokens / priced cost on frontier-tier models.",
         ("window", "measure")),
        ("modelmix_frontier_share_by_service", "Frontier share per service.", ("window", "service", "measure")),
        ("modelmix_task_runs", "Task runs started in the window.", ("window", "task")),
        ("modelmix_escalated_runs", "Task runs that escalated to a pricier model.", ("window", "task")),
        ("modelmix_escalation_rate", "Escalated runs / runs per task.", ("window", "task")),
    ]
    return {name: GaugeFamily(name, doc, labels) for name, doc, labels in specs}


_MIX = text(
    """
    SELECT service, environment, task, canonical_model, provider, tier, call_kind, status,
        sum(calls), sum(input_tokens), sum(output_tokens), sum(cost_usd), sum(unpriced_calls)
    FROM call_rollups_hourly
    WHERE hour >= :since
    GROUP BY service, environment, task, canonical_model, provider, tier, call_kind, status
    """
)

_RUNS = text(
    """
    SELECT task, count(*), count(*) FILTER (WHERE escalated)
    FROM task_runs WHERE start_time >= :since
    GROUP BY task
    """
)


def _label(value: object) -> str:
    return str(value) if value not in (None, "") else UNKNOWN


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def model_mix_gauges(
    engine: Engine, *, now: datetime | None = None, windows: Mapping[str, timedelta] = WINDOWS
) -> list[GaugeFamily]:
    """Current model-mix gauge samples, one query on the rollups and one on task runs per window."""
    moment = now or datetime.now(UTC)
    families = _families()
    with engine.connect() as conn:
        for window, span in windows.items():
            since = (moment - span).replace(minute=0, second=0, microsecond=0)
            totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * 6)
            for row in conn.execute(_MIX, {"since": since}):
                (service, environment, task, model, provider, tier, kind, status,
                 calls, tokens_in, tokens_out, cost, unpriced) = row
                labels = (window, _label(service), _label(environment), _label(task), _label(model),
                          _label(provider), _label(tier), _label(kind), _label(status))
                families["modelmix_calls"].samples.append((labels, float(calls)))
                families["modelmix_tokens"].samples.append(((*labels, "input"), float(tokens_in or 0)))
                families["modelmix_tokens"].samples.append(((*labels, "output"), float(tokens_out or 0)))
                families["modelmix_cost_usd"].samples.append((labels, float(cost or Decimal(0))))
                families["modelmix_unpriced_calls"].samples.append((labels, float(unpriced)))
                if kind != "llm":
                    continue
                frontier = tier == "frontier"
                tokens = float((tokens_in or 0) + (tokens_out or 0))
                for key in (("", ""), ("service", _label(service))):
                    acc = totals[key]
                    acc[0] += float(calls)
                    acc[1] += tokens
                    acc[2] += float(cost or 0)
                    if frontier:
                        acc[3] += float(calls)
                        acc[4] += tokens
                        acc[5] += float(cost or 0)
            for (scope, service), acc in sorted(totals.items()):
                for measure, share in (("calls", _share(acc[3], acc[0])), ("tokens", _share(acc[4], acc[1])),
                                       ("cost", _share(acc[5], acc[2]))):
                    if share is None:
                        continue
                    if scope:
                        families["modelmix_frontier_share_by_service"].samples.append(
                            ((window, service, measure), share))
                    else:
                        families["modelmix_frontier_share"].samples.append(((window, measure), share))
            for task, runs, escalated in conn.execute(_RUNS, {"since": since}):
                task_labels = (window, _label(task))
                families["modelmix_task_runs"].samples.append((task_labels, float(runs)))
                families["modelmix_escalated_runs"].samples.append((task_labels, float(escalated)))
                families["modelmix_escalation_rate"].samples.append((task_labels, escalated / runs))
    return list(families.values())


class ModelMixGaugeCollector(Collector):
    """A prometheus-client collector serving ``model_mix_gauges``, cached for ``ttl_seconds``."""

    def __init__(self, engine: Engine, ttl_seconds: float = 30.0, *,
                 windows: Mapping[str, timedelta] = WINDOWS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if ttl_seconds < 0:
            raise ValueError("ttl_seconds must not be negative")
        self._engine = engine
        self._ttl = ttl_seconds
        self._windows = windows
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: list[GaugeFamily] | None = None
        self._fetched_at = 0.0
        self._ok = True
        self.refreshes = 0

    def describe(self) -> Iterable[GaugeMetricFamily]:
        # Names only: lets the registry check for clashes without querying the database.
        for family in _families().values():
            yield GaugeMetricFamily(family.name, family.documentation, labels=family.labels)
        yield GaugeMetricFamily("modelmix_gauges_refresh_ok", "1 if the last refresh of the gauges worked.")

    def _current(self) -> list[GaugeFamily]:
        with self._lock:
            fresh = self._cached is not None and self._clock() - self._fetched_at < self._ttl
            if not fresh:
                try:
                    self._cached = model_mix_gauges(self._engine, windows=self._windows)
                    self._ok = True
                    self.refreshes += 1
                except Exception:  # serve the last good samples; the scrape must not fail
                    log.exception("refreshing model-mix gauges failed")
                    self._ok = False
                self._fetched_at = self._clock()
            return self._cached or []

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for family in self._current():
            metric = GaugeMetricFamily(family.name, family.documentation, labels=family.labels)
            for labels, value in family.samples:
                metric.add_metric(labels, value)
            yield metric
        yield GaugeMetricFamily("modelmix_gauges_refresh_ok", "1 if the last refresh of the gauges worked.",
                                value=1.0 if self._ok else 0.0)
