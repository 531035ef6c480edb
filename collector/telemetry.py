"""The collector's own metrics, exposed at ``GET /metrics`` in the Prometheus text format.

Each collector owns a private ``CollectorRegistry`` (tests run many collectors in one process).
``add_gauge_source`` is the hook for gauges computed elsewhere — e.g. model-mix shares read from
the hourly rollups — so they appear on the same endpoint; a failing source is logged and skipped,
never breaking the scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

PREFIX = "modelmix_collector_"
GaugeReading = tuple[Sequence[str], float]  # (label values, value)


class _GaugeSource(Collector):
    def __init__(self, name: str, documentation: str, labelnames: Sequence[str],
                 read: Callable[[], Iterable[GaugeReading]]) -> None:
        self._name, self._doc, self._labels, self._read = name, documentation, list(labelnames), read

    def describe(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(self._name, self._doc, labels=self._labels)

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(self._name, self._doc, labels=self._labels)
        try:
            for labels, value in self._read():
                family.add_metric(list(labels), float(value))
        except Exception:
            log.exception("metric source %s failed; it is left out of this scrape", self._name)
            return
        yield family


class CollectorTelemetry:
    """Counters, gauges and histograms of one collector."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(PREFIX + "requests", "Export requests answered, by transport, signal and status.",
                                ["transport", "signal", "status"], registry=r)
        self.spans_received = Counter(PREFIX + "spans_received", "Spans received in trace export requests.",
                                      ["transport"], registry=r)
        self.spans_accepted = Counter(PREFIX + "spans_accepted",
                                      "Spans acknowledged as stored (new or already stored).", registry=r)
        self.spans_rejected = Counter(PREFIX + "spans_rejected",
                                      "Spans rejected, by stage (decode or write).", ["stage"], registry=r)
        self.spans_duplicate = Counter(PREFIX + "spans_duplicate",
                                       "Spans dropped as duplicates, by rule (decoder rules, or 'stored' "
                                       "for spans already in the database).", ["rule"], registry=r)
        self.calls_written = Counter(PREFIX + "calls_written", "LLM call rows inserted.", registry=r)
        self.skeletons_written = Counter(PREFIX + "skeletons_written", "Span skeleton rows inserted.", registry=r)
        self.pricing_errors = Counter(PREFIX + "pricing_errors",
                                      "Calls stored unpriced because pricing raised.", registry=r)
        self.write_failures = Counter(PREFIX + "write_failures",
                                      "Batches that could not be written (clients were asked to retry).",
                                      ["reason"], registry=r)
        self.queue_depth = Gauge(PREFIX + "queue_depth_spans",
                                 "Spans accepted into memory and not yet committed.", registry=r)
        self.batch_spans = Histogram(PREFIX + "batch_spans", "Spans per written batch.", registry=r,
                                     buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000))
        self.commit_seconds = Histogram(PREFIX + "commit_seconds", "Time to write and commit one batch.",
                                        registry=r, buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                             0.25, 0.5, 1.0, 2.5, 5.0, 10.0))

    def track_queue_depth(self, read: Callable[[], float]) -> None:
        self.queue_depth.set_function(read)

    def add_gauge_source(self, name: str, documentation: str, labelnames: Sequence[str],
                         read: Callable[[], Iterable[GaugeReading]]) -> None:
        """Publish a gauge family whose samples ``read()`` computes at scrape time."""
        self.registry.register(_GaugeSource(name, documentation, labelnames, read))

    def add_collector(self, collector: Collector) -> None:
        """Register any prometheus-client collector on this registry."""
        self.registry.register(collector)

    def render(self) -> bytes:
        return generate_latest(self.registry)
