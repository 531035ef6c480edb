"""Raw-call drill-down: one page of calls (never content), a CSV export, and price disagreements.

These are the only analytics reads of ``llm_calls`` beyond the rollup edges; every one is bounded
by the window (``start_time`` index) and by a row limit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import pandas as pd
import psycopg
from sqlalchemy import ColumnElement, Engine, and_, bindparam, func, literal_column, or_, select

from modelmix.analytics.convert import frame, money_float
from modelmix.analytics.facts import raw_conditions
from modelmix.analytics.filters import FilterError, Filters
from modelmix.analytics.tables import llm_calls

CALL_COLUMNS = [
    "trace_id", "span_id", "start_time", "duration_ms", "service", "environment", "task", "call_kind",
    "operation", "provider", "request_model", "response_model", "canonical_model", "input_tokens",
    "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "cost_usd",
    "reported_cost_usd", "price_source", "status", "error_type", "finish_reason", "streamed",
    "escalation", "escalated_from", "verification", "span_name",
]
MAX_PAGE = 10_000
MAX_CSV_ROWS = 1_000_000


STATUSES = ("ok", "error")


def _call_conditions(filters: Filters, model: str | None, status: str | None, text_filter: str | None,
                     first_attempts_only: bool) -> list[ColumnElement[bool]]:
    c = llm_calls.c
    conds = raw_conditions(filters, None)
    if model:
        conds.append(or_(c.canonical_model == model, c.request_model == model, c.response_model == model))
    if status is not None:
        if status not in STATUSES:
            raise FilterError(f"status must be one of {STATUSES}, got {status!r}")
        # inlined (a checked constant) so that even a generic plan can use the partial index on errors
        conds.append(c.status == bindparam(None, status, literal_execute=True))
    if text_filter:
        needle = str(text_filter)
        conds.append(or_(*(column.icontains(needle, autoescape=True) for column in (
            c.canonical_model, c.request_model, c.response_model, c.span_name, c.task, c.error_type))))
    if first_attempts_only:
        conds.append(c.escalation.is_(None))
    return conds


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    for row in rows:
        for name in ("trace_id", "span_id"):
            if isinstance(row.get(name), (bytes, memoryview)):
                row[name] = bytes(row[name]).hex()
        for name in ("cost_usd", "reported_cost_usd", "difference_usd"):
            if name in row:
                row[name] = money_float(row[name])
    return frame(rows, columns)


def select_calls(engine: Engine, filters: Filters, *, model: str | None = None, status: str | None = None,
                 text_filter: str | None = None, first_attempts_only: bool = False, limit: int = 100,
                 offset: int = 0, cap: int = MAX_PAGE) -> pd.DataFrame:
    """Calls newest first with ``CALL_COLUMNS`` (ids as hex, money as float)."""
    if not 1 <= int(limit) <= cap:
        raise FilterError(f"limit must be between 1 and {cap}, got {limit!r}")
    if int(offset) < 0:
        raise FilterError(f"offset must not be negative, got {offset!r}")
    c = llm_calls.c
    stmt = (
        select(*[c[name] for name in CALL_COLUMNS])
        .where(and_(*_call_conditions(filters, model, status, text_filter, first_attempts_only)))
        .order_by(c.start_time.desc(), c.trace_id, c.span_id)
        .limit(int(limit))
        .offset(int(offset))
    )
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(stmt)]
    return _frame(rows, CALL_COLUMNS)


def calls_page(
    engine: Engine,
    filters: Filters,
    *,
    model: str | None = None,
    status: str | None = None,
    text_filter: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> pd.DataFrame:
    """Calls newest first, columns ``CALL_COLUMNS``. ``model`` matches the canonical, request or
    response model exactly; ``status`` is ok|error; ``text_filter`` is a case-insensitive substring
    of model names, span name, task or error type (matched literally: ``%`` and ``_`` are not
    wildcards). At most ``MAX_PAGE`` rows per page."""
    return select_calls(engine, filters, model=model, status=status, text_filter=text_filter,
                        limit=limit, offset=offset)


def _python_float(expression: str) -> str:
    """SQL rendering a double as Python's ``repr`` of the float does (``200.0``, ``0.01``, ``1e-05``):
    PostgreSQL already prints the shortest exact digits; integral values get the ``.0`` Python adds."""
    return (f"CASE WHEN {expression} = trunc({expression}) AND abs({expression}) < 1e15 "
            f"THEN {expression}::text || '.0' ELSE {expression}::text END")


# How each CSV column is written: ids as hex, times in UTC with microseconds, money and durations
# as Python floats, booleans as True/False, unknown (NULL) and empty text as an empty field.
_CSV_TEXT = {"trace_id", "span_id", "start_time", "duration_ms", "cost_usd", "reported_cost_usd", "streamed",
             "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens"}
_CSV_EXPRESSIONS = {
    "trace_id": "encode(llm_calls.trace_id, 'hex')",
    "span_id": "encode(llm_calls.span_id, 'hex')",
    "start_time": "to_char(llm_calls.start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00:00'",
    "duration_ms": _python_float("llm_calls.duration_ms"),
    "cost_usd": _python_float("llm_calls.cost_usd::float8"),
    "reported_cost_usd": _python_float("llm_calls.reported_cost_usd::float8"),
    "streamed": "CASE WHEN llm_calls.streamed THEN 'True' WHEN NOT llm_calls.streamed THEN 'False' END",
    **{name: f"llm_calls.{name}" for name in ("input_tokens", "cache_read_tokens", "cache_write_tokens",
                                              "output_tokens", "reasoning_tokens")},
}


def _csv_column(name: str) -> ColumnElement[object]:
    if name in _CSV_TEXT:
        return literal_column(_CSV_EXPRESSIONS[name]).label(name)
    return func.nullif(llm_calls.c[name], "").label(name)  # empty text is written as an empty field


def calls_csv(engine: Engine, filters: Filters, *, model: str | None = None, status: str | None = None,
              text_filter: str | None = None, max_rows: int = MAX_CSV_ROWS) -> str:
    """The same selection as ``calls_page`` as CSV text (header + up to ``max_rows`` rows, newest first).

    PostgreSQL writes the CSV itself (``COPY ... TO STDOUT``), so no row becomes a Python object.
    Columns are ``CALL_COLUMNS``: ids as hex, ``start_time`` as ``YYYY-MM-DD HH:MM:SS.ffffff+00:00``,
    money and durations as Python floats (``0.01``), token counts as integers, ``streamed`` as
    True/False, and an unknown value (or empty text) as an empty field, never 0."""
    if not 1 <= int(max_rows) <= MAX_CSV_ROWS:
        raise FilterError(f"max_rows must be between 1 and {MAX_CSV_ROWS}, got {max_rows!r}")
    c = llm_calls.c
    stmt = (
        select(*[_csv_column(name) for name in CALL_COLUMNS])
        .select_from(llm_calls)
        .where(and_(*_call_conditions(filters, model, status, text_filter, False)))
        .order_by(c.start_time.desc(), c.trace_id, c.span_id)
        .limit(int(max_rows))
    )
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    chunks: list[bytes] = []
    copy_sql = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv, HEADER)"
    with engine.connect() as conn:
        dbapi = cast("psycopg.Connection[Any]", conn.connection.dbapi_connection)
        with dbapi.cursor() as cursor, cursor.copy(copy_sql, compiled.params) as copy:
            chunks.extend(bytes(chunk) for chunk in copy)
        conn.rollback()
    return b"".join(chunks).decode("utf-8")


DISAGREEMENT_COLUMNS = [
    "trace_id", "span_id", "start_time", "service", "task", "provider", "canonical_model", "response_model",
    "input_tokens", "output_tokens", "cost_usd", "reported_cost_usd", "price_source", "difference_usd",
    "relative_difference",
]


def price_disagreements(engine: Engine, filters: Filters, threshold: float = 0.05,
                        limit: int = 500) -> pd.DataFrame:
    """Calls whose reported cost differs from the computed cost by more than ``threshold`` of the
    computed cost (any difference when the computed cost is 0), largest difference first.

    Columns: ``DISAGREEMENT_COLUMNS``; ``relative_difference`` is (reported − computed) / computed."""
    if not 0 <= float(threshold) < 1_000:
        raise FilterError(f"threshold must be a non-negative fraction, got {threshold!r}")
    if not 1 <= int(limit) <= MAX_PAGE:
        raise FilterError(f"limit must be between 1 and {MAX_PAGE}, got {limit!r}")
    c = llm_calls.c
    difference = c.reported_cost_usd - c.cost_usd
    stmt = (
        select(*[c[name] for name in DISAGREEMENT_COLUMNS[:-2]], difference.label("difference_usd"))
        .where(and_(*raw_conditions(filters, None), c.reported_cost_usd.is_not(None), c.cost_usd.is_not(None),
                    func.abs(difference) > c.cost_usd * Decimal(str(float(threshold)))))
        .order_by(func.abs(difference).desc(), c.start_time)
        .limit(int(limit))
    )
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(stmt)]
    for row in rows:
        row["relative_difference"] = (
            float(row["difference_usd"] / row["cost_usd"]) if row["cost_usd"] else float("inf"))
    return _frame(rows, DISAGREEMENT_COLUMNS)
