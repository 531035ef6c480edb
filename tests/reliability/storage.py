"""What PostgreSQL holds after a scenario: stored span ids, duplicates, and a snapshot of every table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, text


def stored_span_counts(engine: Engine, table: str = "llm_calls") -> Counter[bytes]:
    """How many rows each span id has in ``table`` (a correct store has exactly one per span)."""
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT span_id, count(*) FROM {table} GROUP BY span_id"))  # noqa: S608
        return Counter({bytes(span_id): int(n) for span_id, n in rows})


@dataclass(frozen=True)
class Tally:
    sent: int
    acknowledged: int
    stored: int  # distinct sent spans with a row
    duplicated: int  # extra rows beyond one per span
    acknowledged_missing: int
    stored_unsent: int  # rows for span ids nobody sent (must be 0)


def tally(engine: Engine, sent: set[bytes], acknowledged: set[bytes]) -> Tally:
    counts = stored_span_counts(engine)
    stored = {span for span in counts if span in sent}
    return Tally(sent=len(sent), acknowledged=len(acknowledged), stored=len(stored),
                 duplicated=sum(n - 1 for n in counts.values() if n > 1),
                 acknowledged_missing=len(acknowledged - counts.keys()),
                 stored_unsent=len(counts.keys() - sent))


def table_snapshot(engine: Engine) -> dict[str, int]:
    """Every table in the public schema with its row count (partitions included)."""
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"))]
        return {name: int(conn.execute(text(f'SELECT count(*) FROM ONLY "{name}"')).scalar_one())  # noqa: S608
                for name in names}


def text_columns(engine: Engine) -> list[tuple[str, str]]:
    """(table, column) of every text, varchar, json and jsonb column of every ordinary table."""
    with engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(text(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
            "AND c.data_type IN ('text', 'character varying', 'json', 'jsonb', 'character') "
            "ORDER BY 1, 2"))]


def column_contains(engine: Engine, table: str, column: str, needle: str) -> int:
    """Rows whose ``column`` (as text) contains ``needle``."""
    with engine.connect() as conn:
        return int(conn.execute(
            text(f'SELECT count(*) FROM ONLY "{table}" WHERE strpos("{column}"::text, :needle) > 0'),  # noqa: S608
            {"needle": needle}).scalar_one())


def all_stored_text(engine: Engine) -> str:
    """Every non-null text, varchar and json(b) value of every table, one per line."""
    values: list[str] = []
    with engine.connect() as conn:
        for table, column in text_columns(engine):
            values.extend(conn.execute(text(
                f'SELECT "{column}"::text FROM ONLY "{table}" WHERE "{column}" IS NOT NULL')).scalars())  # noqa: S608
    return "\n".join(values)
