"""Shared test fixtures: a real PostgreSQL, a migrated template database cloned per test.

``MODELMIX_TEST_DATABASE_URL`` points at a server to use (CI and these machines have one at
127.0.0.1:5432); otherwise an embedded PostgreSQL is started for the session. The schema is
migrated once into a template database, and every test that asks for ``db_url`` gets a fresh clone
(``CREATE DATABASE ... TEMPLATE``), dropped afterwards.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from modelmix.db import migrate
from modelmix.db.embedded import EmbeddedPostgres
from modelmix.db.engine import libpq_url, make_engine, sqlalchemy_url

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
FIXTURES_DIR = SHARED_DIR / "fixtures" / "otlp"


def _with_database(url: str, database: str) -> str:
    """Replace the database name in a libpq URL (keeps host, socket and options)."""
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{database}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """libpq URL of an admin database on a real PostgreSQL server."""
    configured = os.environ.get("MODELMIX_TEST_DATABASE_URL")
    if configured:
        yield libpq_url(configured)
        return
    tmp = Path(tempfile.mkdtemp(prefix="modelmix-test-pg-"))
    server = EmbeddedPostgres(tmp / "pgdata")
    url = server.start(database="modelmix_admin")
    try:
        yield libpq_url(url)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def template_db(pg_server_url: str) -> Iterator[str]:
    """Name of a template database migrated to head, unique to this test session."""
    name = f"mm_tpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(sqlalchemy_url(_with_database(pg_server_url, name)))
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_db_url(pg_server_url: str) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty (unmigrated) database."""
    name = f"mm_e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield sqlalchemy_url(_with_database(pg_server_url, name))
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_url(pg_server_url: str, template_db: str) -> Iterator[str]:
    """SQLAlchemy URL of a fresh database cloned from the migrated template."""
    name = f"mm_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield sqlalchemy_url(_with_database(pg_server_url, name))
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()
