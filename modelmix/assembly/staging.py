"""Per-batch working tables: claim settled traces and stage their calls and span tree.

The assembler works a batch of traces at a time inside one transaction. The working tables are
session-local temporary tables (``ON COMMIT DELETE ROWS``) created once per connection:

- ``asm_batch``  — the claimed trace ids (rows of ``trace_activity`` locked ``FOR UPDATE SKIP
  LOCKED``, so a collector writing a late span to one of them waits for this batch to commit and
  then re-opens the trace);
- ``asm_calls``  — the batch's calls with their previous (``old_*``) and, once resolved, new task,
  markers and escalation;
- ``asm_nodes``  — every span of the batch (skeletons and calls) for walking ancestors;
- ``asm_models`` — price rank and tier of each model the batch mentions.

A call is *assembled* once ``llm_calls.task_source`` holds one of the assembler's rule names
(``TASK_SOURCES``); before that it is NULL or the collector's ``span`` (task read from the call's
own attributes), and the call is not counted in task runs or rollups yet.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from modelmix.assembly.ranking import ModelRanking
from modelmix.assembly.resolve import TASK_SOURCES

_CREATE = (
    """CREATE TEMP TABLE IF NOT EXISTS asm_batch (trace_id bytea PRIMARY KEY) ON COMMIT DELETE ROWS""",
    """CREATE TEMP TABLE IF NOT EXISTS asm_calls (
        trace_id bytea NOT NULL, span_id bytea NOT NULL, start_time timestamptz NOT NULL,
        parent_span_id bytea, end_time timestamptz, service text NOT NULL, environment text,
        call_kind text NOT NULL, provider text, model text, canonical_model text, model_name text,
        status text NOT NULL, input_tokens bigint, cache_read_tokens bigint, cache_write_tokens bigint,
        output_tokens bigint, reasoning_tokens bigint, cost_usd numeric, duration_ms double precision,
        old_task text, old_task_source text, old_escalated_from text, old_verification text,
        old_escalation text, old_assembled boolean NOT NULL, own_task text, own_trace_name text,
        task text, task_source text, escalated_from text, verification text, escalation text,
        PRIMARY KEY (trace_id, span_id, start_time)
    ) ON COMMIT DELETE ROWS""",
    """CREATE TEMP TABLE IF NOT EXISTS asm_nodes (
        trace_id bytea NOT NULL, span_id bytea NOT NULL, parent_span_id bytea, start_time timestamptz,
        name text, is_call boolean NOT NULL, task text, workflow_name text, trace_name text,
        escalated_from text, verification text,
        PRIMARY KEY (trace_id, span_id)
    ) ON COMMIT DELETE ROWS""",
    """CREATE TEMP TABLE IF NOT EXISTS asm_models (
        name text PRIMARY KEY, rank numeric, tier text
    ) ON COMMIT DELETE ROWS""",
)

_CLAIM_SETTLED = text(
    """
    INSERT INTO asm_batch (trace_id)
    SELECT trace_id FROM trace_activity
    WHERE assembled_at IS NULL AND last_seen_at <= now() - make_interval(secs => :settle)
    ORDER BY last_seen_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
    """
)

_CLAIM_ALL = text(
    """
    INSERT INTO asm_batch (trace_id)
    SELECT trace_id FROM trace_activity
    WHERE assembled_at IS NULL
    ORDER BY last_seen_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
    """
)

_CLAIM_TRACES = text(
    """
    INSERT INTO asm_batch (trace_id)
    SELECT trace_id FROM trace_activity WHERE trace_id = ANY(:trace_ids)
    FOR UPDATE
    """
)

_STAGE_CALLS = text(
    """
    INSERT INTO asm_calls (
        trace_id, span_id, start_time, parent_span_id, end_time, service, environment, call_kind,
        provider, model, canonical_model, model_name, status, input_tokens, cache_read_tokens,
        cache_write_tokens, output_tokens, reasoning_tokens, cost_usd, duration_ms,
        old_task, old_task_source, old_escalated_from, old_verification, old_escalation,
        old_assembled, own_task, own_trace_name)
    SELECT l.trace_id, l.span_id, l.start_time, l.parent_span_id, l.end_time, l.service,
        nullif(l.environment, ''), l.call_kind, nullif(l.provider, ''), nullif(l.model, ''),
        nullif(l.canonical_model, ''), coalesce(nullif(l.canonical_model, ''), nullif(l.model, '')),
        l.status, l.input_tokens, l.cache_read_tokens, l.cache_write_tokens, l.output_tokens,
        l.reasoning_tokens, l.cost_usd, l.duration_ms,
        l.task, l.task_source, l.escalated_from, l.verification, l.escalation,
        coalesce(l.task_source = ANY(:assembled_sources), false),
        CASE WHEN l.task_source IS NULL OR l.task_source IN ('span', 'call_attribute')
             THEN nullif(btrim(l.task), '') END,
        nullif(btrim(l.attributes ->> 'langfuse.trace.name'), '')
    FROM llm_calls l JOIN asm_batch b ON b.trace_id = l.trace_id
    WHERE l.start_time >= :lo
    """
)

_STAGE_SKELETONS = text(
    """
    INSERT INTO asm_nodes (trace_id, span_id, parent_span_id, start_time, name, is_call, task,
                           workflow_name, trace_name, escalated_from, verification)
    SELECT s.trace_id, s.span_id, s.parent_span_id, s.start_time, nullif(btrim(s.name), ''), false,
        nullif(btrim(s.task), ''), nullif(btrim(s.workflow_name), ''), nullif(btrim(s.trace_name), ''),
        nullif(btrim(s.escalated_from), ''),
        CASE lower(btrim(s.verification)) WHEN 'pass' THEN 'pass' WHEN 'fail' THEN 'fail' END
    FROM span_skeletons s JOIN asm_batch b ON b.trace_id = s.trace_id
    WHERE s.start_time >= :lo
    ON CONFLICT (trace_id, span_id) DO NOTHING
    """
)

_STAGE_CALL_NODES = text(
    """
    INSERT INTO asm_nodes (trace_id, span_id, parent_span_id, start_time, name, is_call, task,
                           workflow_name, trace_name, escalated_from, verification)
    SELECT c.trace_id, c.span_id, c.parent_span_id, c.start_time, NULL, true, c.own_task, NULL,
        c.own_trace_name, nullif(btrim(c.old_escalated_from), ''), c.old_verification
    FROM asm_calls c
    ON CONFLICT (trace_id, span_id) DO NOTHING
    """
)

_EARLIEST = text(
    "SELECT min(t.first_start_time) FROM trace_activity t JOIN asm_batch b ON b.trace_id = t.trace_id"
)

_MODEL_NAMES = text(
    """
    SELECT model_name FROM asm_calls WHERE model_name IS NOT NULL
    UNION SELECT canonical_model FROM asm_calls WHERE canonical_model IS NOT NULL
    """
)


def create_working_tables(conn: Connection) -> None:
    for statement in _CREATE:
        conn.exec_driver_sql(statement)


def claim_traces(conn: Connection, *, limit: int, settle_seconds: float, flush: bool) -> int:
    """Lock up to ``limit`` pending traces (quiet for ``settle_seconds`` unless ``flush``)."""
    if flush:
        result = conn.execute(_CLAIM_ALL, {"limit": limit})
    else:
        result = conn.execute(_CLAIM_SETTLED, {"limit": limit, "settle": settle_seconds})
    return int(result.rowcount or 0)


def claim_specific(conn: Connection, trace_ids: list[bytes]) -> int:
    """Lock the given traces (whether pending or not), for re-assembling them on demand."""
    return int(conn.execute(_CLAIM_TRACES, {"trace_ids": trace_ids}).rowcount or 0)


def stage_batch(conn: Connection, ranking: ModelRanking) -> int:
    """Copy the batch's calls and spans into the working tables; return the number of calls."""
    # trace_activity.first_start_time is the earliest start of any span stored for the trace, so it
    # bounds the partitions to read.
    lo = conn.execute(_EARLIEST).scalar_one()
    if lo is None:
        return 0
    calls = int(conn.execute(_STAGE_CALLS, {"lo": lo, "assembled_sources": list(TASK_SOURCES)}).rowcount or 0)
    conn.execute(_STAGE_SKELETONS, {"lo": lo})
    conn.execute(_STAGE_CALL_NODES)
    names = [str(name) for (name,) in conn.execute(_MODEL_NAMES)]
    if names:
        conn.execute(
            text("INSERT INTO asm_models (name, rank, tier) VALUES (:name, :rank, :tier)"),
            [{"name": name, "rank": ranking.rank(name), "tier": ranking.tier(name)} for name in names],
        )
    return calls
