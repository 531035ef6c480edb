"""Storage benchmark: bytes on disk per stored call, heap, TOAST and every index included.

Partitioned tables are summed over their partitions (``pg_partition_tree``). The headline is
``llm_calls`` bytes per call; ``bytes_per_call_all_tables`` also charges each call its share of
``task_runs``, every rollup table, ``span_skeletons`` and ``trace_activity``. Sizes are what
is on disk when measured; the query benchmark measures right after its load and ``VACUUM``.
"""

from __future__ import annotations

from typing import Any

import psycopg

TABLES = ("llm_calls", "span_skeletons", "task_runs", "call_rollups_hourly", "task_run_rollups_hourly",
          "task_run_cost_days", "call_reprice_rollups_hourly", "call_model_names_hourly", "trace_activity")

# The partitions of a partitioned table, or the table itself (pg_partition_tree lists nothing for a
# plain table).
_LEAVES = """
    SELECT relid FROM pg_partition_tree(%(table)s::regclass) WHERE isleaf
    UNION
    SELECT %(table)s::regclass WHERE NOT EXISTS (SELECT 1 FROM pg_partition_tree(%(table)s::regclass))
"""

_SIZES = """
WITH leaves AS (""" + _LEAVES + """)
SELECT coalesce(sum(pg_relation_size(relid, 'main')), 0),
       coalesce(sum(pg_table_size(relid) - pg_relation_size(relid, 'main')), 0),
       coalesce(sum(pg_indexes_size(relid)), 0)
FROM leaves
"""

_INDEXES = """
WITH leaves AS (""" + _LEAVES + """)
SELECT regexp_replace(i.relname, '_p[0-9]{8}', '') AS index_name, sum(pg_relation_size(i.oid))
FROM leaves t
JOIN pg_index x ON x.indrelid = t.relid
JOIN pg_class i ON i.oid = x.indexrelid
GROUP BY 1 ORDER BY 2 DESC
"""


def table_sizes(conn: psycopg.Connection[Any], table: str) -> dict[str, Any]:
    row = conn.execute(_SIZES, {"table": table}).fetchone()
    rows_row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608 - fixed table names
    assert row is not None and rows_row is not None
    heap, toast, indexes = (int(v) for v in row)
    index_sizes = {str(name): int(size) for name, size in conn.execute(_INDEXES, {"table": table})}
    return {"rows": int(rows_row[0]), "heap_bytes": heap, "toast_bytes": toast, "index_bytes": indexes,
            "total_bytes": heap + toast + indexes, "indexes": index_sizes}


def measure_storage(url: str) -> dict[str, Any]:
    """Sizes of every stored table and the bytes per call they add up to."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = {table: table_sizes(conn, table) for table in TABLES}
    calls = tables["llm_calls"]["rows"]
    everything = sum(t["total_bytes"] for t in tables.values())
    return {
        "tables": tables,
        "calls": calls,
        "bytes_per_call": tables["llm_calls"]["total_bytes"] / calls if calls else None,
        "bytes_per_call_all_tables": everything / calls if calls else None,
    }
