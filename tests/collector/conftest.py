"""Fixtures for collector tests: running collectors (real HTTP and gRPC servers on free ports)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from collector.app import Collector, create_collector
from modelmix.settings import Settings
from tests.collector.factories import collector_settings

StartCollector = Callable[..., Collector]


@pytest.fixture
def start_collector(engine: Engine) -> Iterator[StartCollector]:
    """Start collectors on free loopback ports; every one is stopped after the test."""
    started: list[Collector] = []

    def start(settings: Settings | None = None, *, on: Engine | None = None, **kwargs: Any) -> Collector:
        collector = create_collector(settings or collector_settings(), on or engine, **kwargs)
        collector.start()
        started.append(collector)
        return collector

    yield start
    for collector in reversed(started):
        collector.stop()


@pytest.fixture
def collector(start_collector: StartCollector) -> Collector:
    return start_collector()
