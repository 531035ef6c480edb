"""The collector's /metrics serves model-mix gauges computed from the rollups, for alerting."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine

from modelmix.assembly import assemble_pending
from modelmix.pricing import PriceBook
from tests.collector.conftest import StartCollector
from tests.collector.otlp_helpers import chat_span, export_request


def _sample(body: str, name: str, **labels: str) -> float | None:
    for line in body.splitlines():
        if not line.startswith((name + "{", name + " ")):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}", 1)[0])) if "{" in line else {}
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_expose_frontier_share_and_calls_after_assembly(start_collector: StartCollector,
                                                                engine: Engine) -> None:
    collector = start_collector(pricer=PriceBook.load(engine).price)  # as `modelmix collector` wires it
    spans = [chat_span(model="gpt-4o", response_model="gpt-4o-2024-08-06") for _ in range(3)]
    spans += [chat_span(model="gpt-4o-mini", response_model="gpt-4o-mini-2024-07-18")]
    with httpx.Client(base_url=collector.endpoints.http, timeout=30) as client:
        response = client.post("/v1/traces", content=export_request(*spans, service="svc-gauges").SerializeToString(),
                               headers={"Content-Type": "application/x-protobuf"})
        assert response.status_code == 200
        assemble_pending(engine, flush=True)
        body = client.get("/metrics").text
    # gpt-4o is frontier by default (blended list price >= $4 per million tokens), gpt-4o-mini is small.
    assert _sample(body, "modelmix_frontier_share", window="24h", measure="calls") == 0.75
    assert _sample(body, "modelmix_calls", window="24h", service="svc-gauges", model="gpt-4o") == 3.0
    assert _sample(body, "modelmix_calls", window="24h", service="svc-gauges", model="gpt-4o-mini") == 1.0
    assert _sample(body, "modelmix_gauges_refresh_ok") == 1.0
