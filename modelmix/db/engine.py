"""Engines and the choice between a configured PostgreSQL and the embedded one.

``open_database(settings)`` is the single entry point processes use: with ``MODELMIX_DATABASE_URL``
set it connects there and never starts a server; without it, it starts (or reuses) the embedded
PostgreSQL under the data folder. Either way the returned ``Database`` knows its SQLAlchemy URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, event

from modelmix.db.embedded import EmbeddedPostgres
from modelmix.settings import Settings


def sqlalchemy_url(url: str) -> str:
    """Normalize any postgres URL to the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")


def libpq_url(url: str) -> str:
    """The same URL as libpq/psycopg understand it (no SQLAlchemy driver suffix)."""
    return "postgresql://" + sqlalchemy_url(url)[len("postgresql+psycopg://"):]


def make_engine(url: str, *, statement_timeout_ms: int | None = None, **kwargs: Any) -> Engine:
    """Create an engine; optionally every connection gets a ``statement_timeout``."""
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(sqlalchemy_url(url), **kwargs)
    if statement_timeout_ms is not None:
        timeout = int(statement_timeout_ms)

        @event.listens_for(engine, "connect")
        def _set_timeout(dbapi_conn: Any, _record: Any) -> None:
            with dbapi_conn.cursor() as cur:
                cur.execute(f"SET statement_timeout = {timeout}")
            dbapi_conn.commit()

    return engine


@dataclass
class Database:
    url: str  # SQLAlchemy URL (postgresql+psycopg://...)
    embedded: EmbeddedPostgres | None = None
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def open_database(settings: Settings, *, database: str = "modelmix") -> Database:
    """Connect to ``MODELMIX_DATABASE_URL``, or start the embedded PostgreSQL when it is unset."""
    if settings.database_url:
        return Database(url=sqlalchemy_url(settings.database_url))
    embedded = EmbeddedPostgres(settings.data_dir / "postgres")
    url = embedded.start(database=database)
    return Database(url=url, embedded=embedded)


@contextmanager
def database_from_settings(settings: Settings) -> Iterator[Database]:
    db = open_database(settings)
    try:
        yield db
    finally:
        db.close()
