"""The SQL that writes calls, span skeletons and trace activity: binary COPY, idempotent either way.

Two paths, both inside the caller's transaction (the caller must have created the weekly partitions
the rows fall into):

* ``copy_new_rows``, the common case: binary COPY straight into the partitioned ``llm_calls`` /
  ``span_skeletons`` tables, then one upsert of ``trace_activity`` for every trace in the batch
  (earliest start kept, ``assembled_at`` cleared so the assembler looks at the trace again). If any
  row is already stored (a resent span) the primary key ``(trace_id, span_id, start_time)`` refuses
  it with ``UniqueViolation`` and the caller's transaction must be rolled back: nothing is written.
* ``write_rows``, for batches that may hold stored rows: rows are copied into session-local TEMP
  staging tables, then a single statement moves them with ``ON CONFLICT DO NOTHING`` (a resent
  span is stored once) and upserts ``trace_activity`` only for traces that received a new row.

The first costs PostgreSQL about half the CPU of the second (no staging copy, no speculative
insertion), so a writer tries it first and falls back to the second on ``UniqueViolation``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from json import encoder as json_encoder
from typing import Any

import psycopg
from psycopg import sql
from psycopg.adapt import PyFormat
from psycopg.types.json import set_json_dumps

from modelmix.records import LlmCall, SpanSkeleton

CALLS_TABLE = "llm_calls"
SKELETONS_TABLE = "span_skeletons"
CALLS_STAGE = "modelmix_stage_calls"
SKELETONS_STAGE = "modelmix_stage_skeletons"

# (column, PostgreSQL type used by the binary COPY), in the order ``call_row`` produces values.
CALL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("trace_id", "bytea"), ("span_id", "bytea"), ("start_time", "timestamptz"),
    ("parent_span_id", "bytea"), ("end_time", "timestamptz"), ("duration_ms", "float8"),
    ("service", "text"), ("environment", "text"), ("call_kind", "text"), ("operation", "text"),
    ("provider", "text"), ("request_model", "text"), ("response_model", "text"), ("model", "text"),
    ("canonical_model", "text"), ("input_tokens", "int8"), ("cache_read_tokens", "int8"),
    ("cache_write_tokens", "int8"), ("output_tokens", "int8"), ("reasoning_tokens", "int8"),
    ("cost_usd", "numeric"), ("price_id", "int8"), ("price_source", "text"),
    ("reported_cost_usd", "numeric"), ("status", "text"), ("error_type", "text"),
    ("finish_reason", "text"), ("streamed", "bool"), ("response_id", "text"), ("task", "text"),
    ("task_source", "text"), ("session_id", "text"), ("user_id", "text"), ("agent_name", "text"),
    ("escalated_from", "text"), ("verification", "text"), ("scope_name", "text"),
    ("span_name", "text"), ("attributes", "jsonb"),
)

SKELETON_COLUMNS: tuple[tuple[str, str], ...] = (
    ("trace_id", "bytea"), ("span_id", "bytea"), ("start_time", "timestamptz"),
    ("parent_span_id", "bytea"), ("end_time", "timestamptz"), ("name", "text"), ("service", "text"),
    ("environment", "text"), ("kind", "int4"), ("status", "text"), ("task", "text"),
    ("workflow_name", "text"), ("trace_name", "text"), ("agent_name", "text"),
    ("escalated_from", "text"), ("verification", "text"), ("span_kind_hint", "text"),
)

# A task read from the call span's own attributes. Not one of the assembler's rule names
# (``modelmix.assembly.resolve.TASK_SOURCES``): a call counts as assembled — and is in the task runs
# and rollups — only once the assembler has resolved it (where the call's own task wins).
TASK_SOURCE_SPAN = "span"


@dataclass(frozen=True)
class WriteCounts:
    """Rows that were new (not already stored) after one write."""

    calls: int
    skeletons: int
    traces: int


def call_row(call: LlmCall) -> tuple[Any, ...]:
    """The COPY row of one call, in ``CALL_COLUMNS`` order."""
    end = call.end_time
    return _without_nul((
        call.trace_id, call.span_id, call.start_time, call.parent_span_id, end,
        (end - call.start_time).total_seconds() * 1000.0 if end is not None else None,
        call.service, call.environment, call.call_kind, call.operation, call.provider,
        call.request_model, call.response_model, call.response_model or call.request_model,
        call.canonical_model, call.input_tokens, call.cache_read_tokens, call.cache_write_tokens,
        call.output_tokens, call.reasoning_tokens, call.cost_usd, call.price_id, call.price_source,
        call.reported_cost_usd, call.status, call.error_type, call.finish_reason, call.streamed,
        call.response_id, call.task, TASK_SOURCE_SPAN if call.task else None, call.session_id,
        call.user_id, call.agent_name, call.escalated_from, call.verification, call.scope_name,
        call.span_name, call.attributes or None,
    ), _CALL_TEXT)


def skeleton_row(skeleton: SpanSkeleton) -> tuple[Any, ...]:
    """The COPY row of one span skeleton, in ``SKELETON_COLUMNS`` order."""
    s = skeleton
    return _without_nul((
        s.trace_id, s.span_id, s.start_time, s.parent_span_id, s.end_time, s.name, s.service,
        s.environment, s.kind, s.status, s.task, s.workflow_name, s.trace_name, s.agent_name,
        s.escalated_from, s.verification, s.span_kind_hint,
    ), _SKELETON_TEXT)


# PostgreSQL text and jsonb cannot hold U+0000, and one such character (valid in OTLP strings) must
# not cost the whole row: it is stored as U+FFFD. Rows without one are passed through untouched.
_NUL, _NUL_ESCAPED, _REPLACEMENT = "\x00", "\\u0000", "\ufffd"


def _scrub_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(_NUL, _REPLACEMENT)
    if isinstance(value, dict):
        return {_scrub_nul(k): _scrub_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_nul(v) for v in value]
    return value


def _text_positions(columns: Sequence[tuple[str, str]]) -> tuple[int, ...]:
    return tuple(i for i, (_, pg_type) in enumerate(columns) if pg_type == "text")


def _without_nul(row: tuple[Any, ...], text_positions: tuple[int, ...]) -> tuple[Any, ...]:
    for i in text_positions:  # only text columns hold strings (jsonb is scrubbed by its dumper)
        value = row[i]
        if value.__class__ is str and _NUL in value:
            return tuple(v.replace(_NUL, _REPLACEMENT) if isinstance(v, str) else v for v in row)
    return row


_CALL_TEXT = _text_positions(CALL_COLUMNS)
_SKELETON_TEXT = _text_positions(SKELETON_COLUMNS)


def _json_default(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    return str(value)


def _compact_encoder() -> Callable[[object], str]:
    """``json.dumps(obj, default=_json_default, ensure_ascii=False, separators=(",", ":"))``, built once.

    ``json.dumps`` with arguments builds a new encoder per call, which costs several times the
    encoding of a call's few attributes. The C encoder is made without a circular-reference check
    (``markers=None``): the values encoded here are trees built by the decoder, and a shared check
    dict would not be safe across threads.
    """
    make_encoder = getattr(json_encoder, "c_make_encoder", None)
    if make_encoder is None:  # pragma: no cover - CPython ships the C accelerator
        return json.JSONEncoder(default=_json_default, ensure_ascii=False, separators=(",", ":")).encode
    encode = make_encoder(None, _json_default, json_encoder.encode_basestring, None, ":", ",", False, False, True)
    join = "".join

    def dumps(obj: object) -> str:
        return join(encode(obj, 0))

    return dumps


_encode = _compact_encoder()


def _dumps(obj: object) -> str:
    text = _encode(obj)
    if _NUL_ESCAPED in text:  # a U+0000 somewhere in a key or value
        text = _encode(_scrub_nul(obj))
    return text


def _names(columns: Sequence[tuple[str, str]]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns)


def prepare_session(conn: psycopg.Connection[Any]) -> None:
    """Create this session's staging tables (emptied at every commit) and its JSON encoder."""
    set_json_dumps(_dumps, conn)
    for stage, table in ((CALLS_STAGE, CALLS_TABLE), (SKELETONS_STAGE, SKELETONS_TABLE)):
        conn.execute(
            sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
            .format(sql.Identifier(stage), sql.Identifier(table))
        )
    conn.commit()


def copy_rows(cur: psycopg.Cursor[Any], table: str, columns: Sequence[tuple[str, str]],
              rows: Sequence[tuple[Any, ...]]) -> None:
    """Binary COPY of ``rows`` (in ``columns`` order) into ``table``."""
    if not rows:
        return
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), _names(columns)
    )
    with cur.copy(statement) as copy:
        copy.set_types([pg_type for _, pg_type in columns])
        write_row = copy.write_row
        for row in rows:
            write_row(row)


_MOVE = sql.SQL(
    """
    WITH new_calls AS (
        INSERT INTO {calls} ({call_cols}) SELECT {call_cols} FROM pg_temp.{calls_stage}
        ON CONFLICT DO NOTHING RETURNING trace_id, start_time
    ), new_skeletons AS (
        INSERT INTO {skeletons} ({skeleton_cols}) SELECT {skeleton_cols} FROM pg_temp.{skeletons_stage}
        ON CONFLICT DO NOTHING RETURNING trace_id, start_time
    ), touched AS (
        SELECT trace_id, min(start_time) AS first_start_time
        FROM (SELECT * FROM new_calls UNION ALL SELECT * FROM new_skeletons) AS fresh
        GROUP BY trace_id
    ), activity AS (
        INSERT INTO trace_activity (trace_id, first_start_time, last_seen_at, assembled_at)
        SELECT trace_id, first_start_time, now(), NULL FROM touched ORDER BY trace_id
        ON CONFLICT (trace_id) DO UPDATE SET
            first_start_time = LEAST(trace_activity.first_start_time, EXCLUDED.first_start_time),
            last_seen_at = EXCLUDED.last_seen_at,
            assembled_at = NULL
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM new_calls), (SELECT count(*) FROM new_skeletons),
           (SELECT count(*) FROM activity)
    """
).format(
    calls=sql.Identifier(CALLS_TABLE), skeletons=sql.Identifier(SKELETONS_TABLE),
    calls_stage=sql.Identifier(CALLS_STAGE), skeletons_stage=sql.Identifier(SKELETONS_STAGE),
    call_cols=_names(CALL_COLUMNS), skeleton_cols=_names(SKELETON_COLUMNS),
)

_ACTIVITY = sql.SQL(
    """
    INSERT INTO trace_activity (trace_id, first_start_time, last_seen_at, assembled_at)
    SELECT trace_id, first_start_time, now(), NULL
    FROM unnest({ids}::bytea[], {starts}::timestamptz[]) AS touched(trace_id, first_start_time)
    ORDER BY trace_id
    ON CONFLICT (trace_id) DO UPDATE SET
        first_start_time = LEAST(trace_activity.first_start_time, EXCLUDED.first_start_time),
        last_seen_at = EXCLUDED.last_seen_at,
        assembled_at = NULL
    """
).format(ids=sql.Placeholder(format=PyFormat.BINARY), starts=sql.Placeholder(format=PyFormat.BINARY))


def _first_starts(rows: Sequence[tuple[Any, ...]], into: dict[bytes, Any]) -> None:
    """Earliest start per trace (rows hold the trace id first and the start time third)."""
    get = into.get
    for row in rows:
        trace_id, start = row[0], row[2]
        known = get(trace_id)
        if known is None or start < known:
            into[trace_id] = start


def copy_new_rows(conn: psycopg.Connection[Any], call_rows: Sequence[tuple[Any, ...]],
                  skeleton_rows: Sequence[tuple[Any, ...]]) -> WriteCounts:
    """COPY rows that are not stored yet straight into the stored tables and record their traces' activity.

    Raises ``psycopg.errors.UniqueViolation`` when one of them is stored already (or twice in the
    batch); the caller's transaction is then aborted and must be rolled back (use ``write_rows``).
    """
    starts: dict[bytes, Any] = {}
    _first_starts(call_rows, starts)
    _first_starts(skeleton_rows, starts)
    with conn.cursor() as cur:
        copy_rows(cur, CALLS_TABLE, CALL_COLUMNS, call_rows)
        copy_rows(cur, SKELETONS_TABLE, SKELETON_COLUMNS, skeleton_rows)
        if starts:
            cur.execute(_ACTIVITY, (list(starts), list(starts.values())))
    return WriteCounts(calls=len(call_rows), skeletons=len(skeleton_rows), traces=len(starts))


_CLEAR = tuple(sql.SQL("DELETE FROM pg_temp.{}").format(sql.Identifier(stage))
               for stage in (CALLS_STAGE, SKELETONS_STAGE))


def write_rows(conn: psycopg.Connection[Any], call_rows: Sequence[tuple[Any, ...]],
               skeleton_rows: Sequence[tuple[Any, ...]], *, clear_staging: bool = False) -> WriteCounts:
    """Stage the rows and move the new ones into the stored tables, inside the caller's transaction.

    ``clear_staging`` empties the staging tables afterwards, for callers that write several times in
    one transaction (the row-by-row fallback); otherwise the commit empties them.
    """
    with conn.cursor() as cur:
        copy_rows(cur, CALLS_STAGE, CALL_COLUMNS, call_rows)
        copy_rows(cur, SKELETONS_STAGE, SKELETON_COLUMNS, skeleton_rows)
        cur.execute(_MOVE)
        counts = cur.fetchone()
        if clear_staging:
            for statement in _CLEAR:
                cur.execute(statement)
    assert counts is not None
    return WriteCounts(calls=int(counts[0]), skeletons=int(counts[1]), traces=int(counts[2]))
