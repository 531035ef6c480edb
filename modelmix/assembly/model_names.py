"""Hourly served-model-name counts (``call_model_names_hourly``), kept equal to the assembled calls.

Invariant: the table is exactly the count of assembled ``llm_calls`` rows (``task_source`` one of
``TASK_SOURCES``) with a served model, grouped by hour (UTC) x provider x served model x canonical
model, where the served model is ``coalesce(model, response_model, request_model)``, unknown
provider / canonical model are ``''`` and names are cut to ``DIM_MAX_CHARS``.

A batch adds the calls it assembles for the first time (``NOT old_assembled``); a re-assembled call
is already counted, and assembly never changes a call's provider or model names. A reprice may
change canonical models, so ``recompute_hours`` rebuilds whole hours with ``rebuild_model_name_hours``.
Readers add the calls not assembled yet from raw rows (partial index ``ix_llm_calls_unassembled``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from modelmix.assembly.resolve import TASK_SOURCES

DIM_MAX_CHARS = 200

# asm_calls.model is nullif(llm_calls.model, ''): when it is NULL the call's own row decides the
# served name (coalesce(model, response_model, request_model), as readers compute it).
_ADD_BATCH = text(
    """
    INSERT INTO call_model_names_hourly AS r (hour, provider, model, canonical_model, calls)
    SELECT date_trunc('hour', c.start_time, 'UTC'), left(coalesce(c.provider, ''), :n),
        left(coalesce(c.model, s.served), :n), left(coalesce(c.canonical_model, ''), :n), count(*)
    FROM asm_calls c
    LEFT JOIN LATERAL (
        SELECT coalesce(l.model, l.response_model, l.request_model) AS served
        FROM llm_calls l
        WHERE c.model IS NULL
          AND l.trace_id = c.trace_id AND l.span_id = c.span_id AND l.start_time = c.start_time
    ) s ON true
    WHERE NOT c.old_assembled AND coalesce(c.model, s.served) IS NOT NULL
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (hour, provider, model, canonical_model) DO UPDATE SET calls = r.calls + excluded.calls
    """
)

_DELETE_HOURS = text("DELETE FROM call_model_names_hourly WHERE hour >= :lo AND hour < :hi")

_INSERT_HOURS = text(
    """
    INSERT INTO call_model_names_hourly (hour, provider, model, canonical_model, calls)
    SELECT date_trunc('hour', start_time, 'UTC'), left(coalesce(provider, ''), :n),
        left(coalesce(model, response_model, request_model), :n), left(coalesce(canonical_model, ''), :n),
        count(*)
    FROM llm_calls
    WHERE start_time >= :lo AND start_time < :hi AND task_source = ANY(:sources)
      AND coalesce(model, response_model, request_model) IS NOT NULL
    GROUP BY 1, 2, 3, 4
    """
)


def apply_batch_to_model_names(conn: Connection) -> int:
    """Count the staged batch's newly assembled calls; return the number of rows written."""
    return int(conn.execute(_ADD_BATCH, {"n": DIM_MAX_CHARS}).rowcount or 0)


def rebuild_model_name_hours(conn: Connection, lo: datetime, hi: datetime) -> int:
    """Recount the whole hours in ``[lo, hi)`` (hour-aligned) from the assembled raw calls."""
    conn.execute(_DELETE_HOURS, {"lo": lo, "hi": hi})
    params = {"lo": lo, "hi": hi, "n": DIM_MAX_CHARS, "sources": list(TASK_SOURCES)}
    return int(conn.execute(_INSERT_HOURS, params).rowcount or 0)
