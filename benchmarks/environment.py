"""What every benchmark needs around it: a throw-away database and a description of the machine.

``bench_database`` creates ``mm_bench_<purpose>_<random>`` on the server (migrated to head, with
partitions around now) and drops it afterwards, even when the benchmark fails. ``machine`` records
what the numbers depend on: CPU model and count, memory, PostgreSQL and Python versions, the load
average when the run started.
"""

from __future__ import annotations

import os
import platform
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import psycopg

from modelmix.db import migrate
from modelmix.db.engine import libpq_url, make_engine, sqlalchemy_url
from modelmix.db.partitions import ensure_upcoming

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REPO_ROOT = Path(__file__).resolve().parents[1]


def default_server_url() -> str:
    """The server to benchmark on: the test suite's server when configured, else the local default."""
    return os.environ.get("MODELMIX_TEST_DATABASE_URL") or DEFAULT_SERVER_URL


def with_database(url: str, database: str) -> str:
    """A libpq URL with its database name replaced (host, user and options kept)."""
    base, _, query = libpq_url(url).partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{database}" + (f"?{query}" if query else "")


@contextmanager
def bench_database(server_url: str, purpose: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh migrated database (libpq URL) for one benchmark, dropped on exit unless ``keep``."""
    name = f"mm_bench_{purpose}_{uuid.uuid4().hex[:8]}"
    admin = libpq_url(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_database(admin, name)
    try:
        engine = make_engine(sqlalchemy_url(url))
        try:
            migrate.upgrade(engine)
            with engine.begin() as conn:
                ensure_upcoming(conn, datetime.now(UTC))
        finally:
            engine.dispose()
        yield url
    finally:
        if not keep:
            drop_database(admin, name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def machine(server_url: str) -> dict[str, Any]:
    """The facts a reader needs to compare these numbers with another machine's."""
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        row = conn.execute("SELECT current_setting('server_version'), current_setting('shared_buffers'), "
                           "current_setting('max_parallel_workers_per_gather')").fetchone()
    assert row is not None
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "postgresql": row[0],
        "shared_buffers": row[1],
        "max_parallel_workers_per_gather": row[2],
        "python": platform.python_version(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "git_commit": _git_commit(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
