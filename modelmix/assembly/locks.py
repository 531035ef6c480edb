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


def start_assembly_transaction(conn: Connection) -> None:
    """Take the assembler lock and switch JIT off for this transaction.

    The assembler's statements are short, but their cost estimates over big partitions can cross
    PostgreSQL's JIT threshold; compiling then costs far more than running (seen: 0.8 s of JIT for a
    40 ms statement).
    """
    conn.execute(text("SET LOCAL jit = off"))
    take_assembler_lock(conn)
