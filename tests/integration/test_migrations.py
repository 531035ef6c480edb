"""Migrations on real PostgreSQL: base -> head -> base, every step, and no drift from the models."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from modelmix.db import migrate
from modelmix.db.engine import make_engine
from modelmix.db.models import Base
from modelmix.db.partitions import (
    PARTITIONED_TABLES,
    drop_partitions_before,
    ensure_upcoming,
    list_partitions,
)


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_base_to_head_to_base_step_by_step(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    revisions = _revisions()
    assert revisions, "no migrations found"
    for rev in revisions:
        migrate.upgrade(engine, rev)
        assert migrate.current_revision(engine) == rev
    assert set(inspect(engine).get_table_names()) >= {t.name for t in Base.metadata.sorted_tables}
    for rev in reversed(revisions[:-1]):
        migrate.downgrade(engine, rev)
        assert migrate.current_revision(engine) == rev
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert [t for t in inspect(engine).get_table_names() if t != "alembic_version"] == []
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_models_and_migrations_do_not_drift(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_partitions_are_created_on_demand_and_dropped_for_retention(engine) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    with engine.begin() as conn:
        ensure_upcoming(conn, now, weeks_ahead=2, weeks_back=3)
        for table in PARTITIONED_TABLES:
            assert len(list_partitions(conn, table)) == 6
        dropped = drop_partitions_before(conn, "llm_calls", datetime(2026, 11, 16, tzinfo=UTC))
    assert [name for name in dropped] == ["llm_calls_p20261102", "llm_calls_p20261109"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM llm_calls")).scalar() == 0
        assert len(list_partitions(conn, "llm_calls")) == 4
