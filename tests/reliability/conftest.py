"""Fixtures of the reliability and security suite: durations, figures, private databases, collectors.

Scenario lengths are short by default so CI stays fast. The long variants (30 s PostgreSQL outage,
60 s overload) carry the ``soak`` marker and run only with ``MODELMIX_SOAK=1``, which also makes the
dashboard's property tests draw many more examples. Every test records its figures through
``figures``; they are printed again in the terminal summary.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine

from modelmix.db import migrate
from modelmix.db.embedded import EmbeddedPostgres
from modelmix.db.engine import make_engine, sqlalchemy_url
from tests.conftest import _with_database
from tests.reliability.figures import BOOK
from tests.reliability.processes import CollectorProcess

SOAK = os.environ.get("MODELMIX_SOAK", "").strip().lower() in {"1", "true", "yes", "on"}

Record = Callable[..., str]


def soak_variant(value: float) -> object:
    """A parameter for the long variant of a scenario: marked ``soak``, run only with MODELMIX_SOAK=1."""
    return pytest.param(value, id=f"soak-{value:g}s", marks=[
        pytest.mark.soak, pytest.mark.skipif(not SOAK, reason="long variant: run with MODELMIX_SOAK=1")])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if BOOK.rows:
        terminalreporter.section("reliability figures")
        for line in BOOK.lines():
            terminalreporter.write_line(line)


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Record:
    """``figures(key=value, ...)`` prints and keeps one row of this test's figures."""

    def record(**values: Any) -> str:
        return BOOK.record(request.node.name, **values)

    return record


class PrivatePostgres:
    """An embedded PostgreSQL of this test alone, which may be stopped and started in place."""

    def __init__(self, base: Path) -> None:
        self.pgdata = base / "pg"
        self.server = EmbeddedPostgres(self.pgdata)
        self.url = self.server.start("modelmix")
        self.running = True

    def stop(self) -> None:
        self.server.stop()
        self.running = False

    def start(self) -> None:
        self.server = EmbeddedPostgres(self.pgdata)
        assert self.server.start("modelmix") == self.url
        self.running = True


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A migrated embedded PostgreSQL (never the shared server, which others use)."""
    # Not pytest's tmp_path: concurrent sessions prune each other's base temp directories.
    base = Path(tempfile.mkdtemp(prefix="modelmix-reliability-"))
    base.chmod(0o755)  # the embedded server runs as its own unprivileged user
    db = PrivatePostgres(base)
    engine = make_engine(db.url)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield db
    finally:
        if db.running:
            db.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def module_db_url(pg_server_url: str, template_db: str) -> Iterator[str]:
    """A fresh migrated database shared by the tests of one module (hypothesis runs reuse it)."""
    name = f"mm_rel_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield sqlalchemy_url(_with_database(pg_server_url, name))
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def module_engine(module_db_url: str) -> Iterator[Engine]:
    eng = make_engine(module_db_url)
    yield eng
    eng.dispose()


class CollectorPool:
    """Collector processes of one test; any still running is killed when the test ends."""

    def __init__(self) -> None:
        self.started: list[CollectorProcess] = []

    def start(self, database_url: str, **kwargs: Any) -> CollectorProcess:
        process = CollectorProcess(database_url, **kwargs)
        self.started.append(process)
        return process.start()

    def restart(self, previous: CollectorProcess) -> CollectorProcess:
        """A new process on the ports and settings of ``previous`` (which must have exited)."""
        process = previous.restarted()
        self.started.append(process)
        return process.start()

    def close(self) -> None:
        for process in self.started:
            process.kill()


@pytest.fixture
def collectors() -> Iterator[CollectorPool]:
    pool = CollectorPool()
    yield pool
    pool.close()
