"""Model-mix gauges from the rollups, and the cached Prometheus collector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from modelmix.assembly import assemble_pending
from modelmix.assembly.gauges import ModelMixGaugeCollector, model_mix_gauges
from modelmix.db.engine import make_engine
from tests.assembly.factory import RANKING, TraceBuilder, store

NOW = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)


def _seed(engine: Engine, now: datetime = NOW) -> None:
    """Last 24 h: 10 inference calls (3 frontier, 6 small, 1 mid) + 1 embedding; 3 days ago: 2 more."""
    traces = []
    recent = now - timedelta(hours=2)
    for i in range(6):  # classify-ticket on the small model, one run escalates to gpt-4o
        t = TraceBuilder(start=recent + timedelta(minutes=i), service="support-bot")
        root = t.span("classify-ticket")
        t.call(root, model="gpt-4o-mini", cost=Decimal("0.001"), input_tokens=100, output_tokens=10)
        if i == 0:
            t.call(root, model="gpt-4o", at=0.5, cost=Decimal("0.010"), input_tokens=100, output_tokens=10)
        traces.append(t)
    for i in range(3):  # code-review on a frontier model, one call unpriced
        t = TraceBuilder(start=recent + timedelta(minutes=10 + i), service="code-assistant")
        t.call(t.span("code-review"), model="claude-sonnet-4-5", provider="anthropic",
               cost=None if i == 0 else Decimal("0.100"), input_tokens=1000, output_tokens=100)
        traces.append(t)
    t = TraceBuilder(start=recent, service="search-api")
    t.call(t.span("embed-docs"), model="text-embedding-3-small", kind="embedding", cost=Decimal("0.0001"),
           input_tokens=500, output_tokens=None)
    traces.append(t)
    for i in range(2):  # older: only in the 7 d window
        t = TraceBuilder(start=now - timedelta(days=3, minutes=i), service="support-bot")
        t.call(t.span("classify-ticket"), model="gpt-4o-mini", cost=Decimal("0.001"))
        traces.append(t)
    store(engine, *traces)
    assemble_pending(engine, ranking=RANKING, flush=True)


def _samples(families: list, name: str) -> dict[tuple[str, ...], float]:
    family = next(f for f in families if f.name == name)
    return dict(family.samples)


def test_frontier_share_counts_inference_calls_tokens_and_priced_cost(engine: Engine) -> None:
    _seed(engine)
    families = model_mix_gauges(engine, now=NOW)
    share = _samples(families, "modelmix_frontier_share")
    assert share[("24h", "calls")] == pytest.approx(3 / 10)
    # tokens: frontier 3 x 1100 of 3 x 1100 + 7 x 110
    assert share[("24h", "tokens")] == pytest.approx(3300 / (3300 + 770))
    # cost: frontier 0.2 (one unpriced) of 0.2 + 6 x 0.001 + 0.010
    assert share[("24h", "cost")] == pytest.approx(0.2 / 0.216)
    assert share[("7d", "calls")] == pytest.approx(3 / 12)
    by_service = _samples(families, "modelmix_frontier_share_by_service")
    assert by_service[("24h", "code-assistant", "calls")] == 1.0
    assert by_service[("24h", "support-bot", "calls")] == 0.0
    assert ("24h", "search-api", "calls") not in by_service  # embeddings only: no inference share


def test_calls_cost_and_unpriced_by_model(engine: Engine) -> None:
    _seed(engine)
    families = model_mix_gauges(engine, now=NOW)
    calls = _samples(families, "modelmix_calls")
    key = ("24h", "support-bot", "prod", "classify-ticket", "gpt-4o-mini", "openai", "small", "llm", "ok")
    assert calls[key] == 6
    assert calls[("7d", *key[1:])] == 8
    unpriced = _samples(families, "modelmix_unpriced_calls")
    frontier = ("24h", "code-assistant", "prod", "code-review", "claude-sonnet-4-5", "anthropic", "frontier",
                "llm", "ok")
    assert unpriced[frontier] == 1
    assert _samples(families, "modelmix_cost_usd")[frontier] == pytest.approx(0.2)
    tokens = _samples(families, "modelmix_tokens")
    embed = ("24h", "search-api", "prod", "embed-docs", "text-embedding-3-small", "openai", "unknown",
             "embedding", "ok")
    assert tokens[(*embed, "input")] == 500


def test_escalation_rate_by_task(engine: Engine) -> None:
    _seed(engine)
    families = model_mix_gauges(engine, now=NOW)
    assert _samples(families, "modelmix_escalation_rate")[("24h", "classify-ticket")] == pytest.approx(1 / 6)
    assert _samples(families, "modelmix_escalation_rate")[("7d", "classify-ticket")] == pytest.approx(1 / 8)
    assert _samples(families, "modelmix_task_runs")[("24h", "code-review")] == 3
    assert _samples(families, "modelmix_escalated_runs")[("24h", "code-review")] == 0


def test_an_empty_database_gives_no_samples(engine: Engine) -> None:
    families = model_mix_gauges(engine, now=NOW)
    assert all(not f.samples for f in families)


def test_the_collector_caches_for_the_ttl(engine: Engine) -> None:
    _seed(engine)
    clock = [1000.0]
    collector = ModelMixGaugeCollector(engine, ttl_seconds=30, clock=lambda: clock[0])
    registry = CollectorRegistry()
    registry.register(collector)
    assert collector.refreshes == 0  # registering runs no query
    first = generate_latest(registry).decode()
    generate_latest(registry)
    assert collector.refreshes == 1
    clock[0] += 31
    generate_latest(registry)
    assert collector.refreshes == 2
    parsed = {f.name: f for f in text_string_to_metric_families(first)}
    assert "modelmix_frontier_share" in parsed
    assert parsed["modelmix_gauges_refresh_ok"].samples[0].value == 1.0


def test_a_broken_database_does_not_break_the_scrape(engine: Engine) -> None:
    broken = make_engine("postgresql://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    registry = CollectorRegistry()
    registry.register(ModelMixGaugeCollector(broken, ttl_seconds=0))
    parsed = {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}
    assert parsed["modelmix_gauges_refresh_ok"].samples[0].value == 0.0
    broken.dispose()


def test_negative_ttl_is_rejected(engine: Engine) -> None:
    with pytest.raises(ValueError):
        ModelMixGaugeCollector(engine, ttl_seconds=-1)


def test_the_collector_is_a_drop_in_for_the_collector_services_metrics_registry(engine: Engine) -> None:
    from collector.telemetry import CollectorTelemetry

    _seed(engine, datetime.now(UTC))
    telemetry = CollectorTelemetry()
    telemetry.add_collector(ModelMixGaugeCollector(engine))
    parsed = {f.name: f for f in text_string_to_metric_families(telemetry.render().decode())}
    assert "modelmix_collector_spans_received" in parsed  # the service's own metrics are still there
    shares = {(s.labels["window"], s.labels["measure"]): s.value
              for s in parsed["modelmix_frontier_share"].samples}
    assert shares[("24h", "calls")] == pytest.approx(3 / 10)
