"""Fixtures for dashboard tests: the app's main script, a seeded database, and an AppTest factory.

``dashboard`` returns a function that builds an ``AppTest`` for ``app/main.py`` with the given
environment (``MODELMIX_*`` variables are set for the run and restored afterwards), so each test
states exactly which database, password and query string the dashboard sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.app.seeding import seed_dataset

MAIN_SCRIPT = Path(__file__).resolve().parents[2] / "app" / "main.py"
APP_TIMEOUT_SECONDS = 60


@pytest.fixture
def seeded_url(db_url: str, engine: Engine) -> str:
    seed_dataset(engine)
    return db_url


@pytest.fixture
def dashboard(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    """Build an AppTest of the dashboard with ``MODELMIX_*`` variables set (None removes one)."""

    def build(**variables: str | None) -> AppTest:
        for name in ("MODELMIX_DATABASE_URL", "MODELMIX_DASHBOARD_PASSWORD"):
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        return AppTest.from_file(str(MAIN_SCRIPT), default_timeout=APP_TIMEOUT_SECONDS)

    yield build
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
