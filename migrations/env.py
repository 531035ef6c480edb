"""Alembic environment: runs migrations online against the URL modelmix passes in.

The URL comes from ``config.attributes['connection']`` (a live connection handed over by
``modelmix.db.migrate``) or the ``sqlalchemy.url`` option. ``target_metadata`` is the models'
metadata so that ``alembic check`` and the drift test can compare them with the migrations.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from modelmix.db.models import Base

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # Partitions of the partitioned tables are created at run time, not by migrations.
    if type_ == "table" and reflected and compare_to is None and name and "_p" in name:
        return not name.startswith(("llm_calls_p", "span_skeletons_p"))
    return True


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          include_object=_include_object)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to alembic (use `modelmix db upgrade`)")
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, include_object=_include_object)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
