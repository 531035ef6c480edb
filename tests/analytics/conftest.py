"""Fixtures for analytics tests: a ``seed`` bound to a fresh migrated database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.analytics.factory import Seed


@pytest.fixture
def seed(engine: Engine) -> Seed:
    return Seed(engine, tiers={"gpt-4o": "frontier", "gpt-4o-mini": "small", "claude-sonnet": "frontier",
                               "claude-haiku": "small", "o3": "frontier"})
