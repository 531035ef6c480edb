"""The assembler lock: one transaction at a time maintains task runs and rollups.

A transaction-scoped PostgreSQL advisory lock, so it is released on commit or rollback and works
across processes (the ``assemble --loop`` service, a ``--flush`` from the CLI or a report, and
``recompute_hours`` after a reprice).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

ASSEMBLER_LOCK_KEY = 0x6D6D_6173_6D62  # stable, arbitrary: "mmasmb"


def take_assembler_lock(conn: Connection) -> None:
    """Wait for and hold the assembler lock until the current transaction ends."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ASSEMBLER_LOCK_KEY})
