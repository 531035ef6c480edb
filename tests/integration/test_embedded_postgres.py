"""The embedded PostgreSQL default: starts a real server, migrates, stops on request."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from modelmix.db import migrate
from modelmix.db.engine import libpq_url, open_database
from modelmix.settings import Settings


def test_embedded_postgres_starts_migrates_and_stops(tmp_path: Path) -> None:
    settings = Settings(database_url=None, data_dir=tmp_path / "data")
    db = open_database(settings)
    assert db.embedded is not None
    url = db.url
    migrate.upgrade(db.engine)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM llm_calls")).scalar() == 0
    db.close()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(libpq_url(url), connect_timeout=3).close()
    # A second start reuses the same cluster and finds the schema in place.
    db2 = open_database(settings)
    try:
        assert migrate.current_revision(db2.engine) == migrate.head_revision()
    finally:
        db2.close()


def test_configured_url_never_starts_embedded(tmp_path: Path, db_url: str) -> None:
    db = open_database(Settings(database_url=db_url, data_dir=tmp_path / "unused"))
    try:
        assert db.embedded is None
        assert not (tmp_path / "unused").exists()
    finally:
        db.close()
