"""Resolve each staged call's task, escalation marker, verification and escalation kind, in SQL.

Task precedence (first match wins, DESIGN.md): a task name on the call span itself → ``modelmix.task``
on the nearest ancestor → the nearest workflow name (``gen_ai.workflow.name`` /
``traceloop.workflow.name``) → ``langfuse.trace.name`` → the root span's name (the trace's
parentless span; without one, the topmost ancestor that arrived) → ``service.name``. The rule that
fired is stored in ``task_source``. Information only grows while a trace is open, so a re-assembly
never replaces a task found by a stronger rule with one found by a weaker rule (that happens only when
skeletons have expired).

Escalation kinds: *explicit* when the call or an ancestor carries ``modelmix.escalated_from``;
*inferred* when an earlier inference call under the same parent span (same task) used a strictly
cheaper model (lower price rank).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

TASK_MAX_CHARS = 200

# Strongest first; the names are stored in llm_calls.task_source.
TASK_SOURCES = (
    "call_attribute",
    "ancestor_task",
    "workflow_name",
    "trace_name",
    "root_span_name",
    "service_name",
)

_RESOLVE = text(
    """
    WITH RECURSIVE anc AS (
        -- One row per (call, ancestor); each row carries the nearest value found so far and the
        -- topmost skeleton name, so the deepest row of a call holds everything.
        SELECT c.trace_id, c.span_id AS call_span, c.start_time AS call_start,
               n.parent_span_id AS next_span, 1 AS depth, n.task, n.workflow_name, n.trace_name,
               CASE WHEN NOT n.is_call THEN n.name END AS top_name, n.escalated_from, n.verification
        FROM asm_calls c
        JOIN asm_nodes n ON n.trace_id = c.trace_id AND n.span_id = c.parent_span_id
        UNION ALL
        SELECT a.trace_id, a.call_span, a.call_start, n.parent_span_id, a.depth + 1,
               coalesce(a.task, n.task), coalesce(a.workflow_name, n.workflow_name),
               coalesce(a.trace_name, n.trace_name),
               coalesce(CASE WHEN NOT n.is_call THEN n.name END, a.top_name),
               coalesce(a.escalated_from, n.escalated_from), coalesce(a.verification, n.verification)
        FROM anc a
        JOIN asm_nodes n ON n.trace_id = a.trace_id AND n.span_id = a.next_span
        WHERE a.depth < 64
    ),
    found AS (
        SELECT DISTINCT ON (trace_id, call_span, call_start) *
        FROM anc
        ORDER BY trace_id, call_span, call_start, depth DESC
    ),
    roots AS (
        SELECT DISTINCT ON (trace_id) trace_id, name
        FROM asm_nodes
        WHERE NOT is_call AND parent_span_id IS NULL AND name IS NOT NULL
        ORDER BY trace_id, start_time, span_id
    ),
    resolved AS (
        SELECT c.trace_id, c.span_id, c.start_time, c.old_task, c.old_task_source,
            left(coalesce(c.own_task, f.task, f.workflow_name, c.own_trace_name, f.trace_name,
                          r.name, f.top_name, nullif(btrim(c.service), ''), 'unknown_service'),
                 :max_chars) AS new_task,
            CASE
                WHEN c.own_task IS NOT NULL THEN 'call_attribute'
                WHEN f.task IS NOT NULL THEN 'ancestor_task'
                WHEN f.workflow_name IS NOT NULL THEN 'workflow_name'
                WHEN coalesce(c.own_trace_name, f.trace_name) IS NOT NULL THEN 'trace_name'
                WHEN coalesce(r.name, f.top_name) IS NOT NULL THEN 'root_span_name'
                ELSE 'service_name'
            END AS new_source,
            left(coalesce(nullif(btrim(c.old_escalated_from), ''), f.escalated_from), :max_chars)
                AS escalated_from,
            coalesce(c.old_verification, f.verification) AS verification
        FROM asm_calls c
        LEFT JOIN found f
            ON f.trace_id = c.trace_id AND f.call_span = c.span_id AND f.call_start = c.start_time
        LEFT JOIN roots r ON r.trace_id = c.trace_id
    ),
    strength AS (
        SELECT *,
            CASE new_source WHEN 'call_attribute' THEN 6 WHEN 'ancestor_task' THEN 5
                WHEN 'workflow_name' THEN 4 WHEN 'trace_name' THEN 3 WHEN 'root_span_name' THEN 2
                ELSE 1 END AS new_strength,
            CASE old_task_source WHEN 'call_attribute' THEN 6 WHEN 'ancestor_task' THEN 5
                WHEN 'workflow_name' THEN 4 WHEN 'trace_name' THEN 3 WHEN 'root_span_name' THEN 2
                WHEN 'service_name' THEN 1 ELSE 0 END AS old_strength
        FROM resolved
    ),
    chosen AS (
        SELECT s.trace_id, s.span_id, s.start_time, s.escalated_from, s.verification,
            CASE WHEN s.old_strength > s.new_strength THEN s.old_task ELSE s.new_task END AS task,
            CASE WHEN s.old_strength > s.new_strength THEN s.old_task_source ELSE s.new_source END
                AS task_source,
            c.call_kind, c.parent_span_id, m.rank
        FROM strength s
        JOIN asm_calls c ON c.trace_id = s.trace_id AND c.span_id = s.span_id AND c.start_time = s.start_time
        LEFT JOIN asm_models m ON m.name = c.model_name
    ),
    escalated AS (
        SELECT *,
            CASE
                WHEN escalated_from IS NOT NULL THEN 'explicit'
                WHEN call_kind = 'llm' AND parent_span_id IS NOT NULL
                     AND rank > min(rank) FILTER (WHERE call_kind = 'llm') OVER earlier THEN 'inferred'
            END AS escalation
        FROM chosen
        WINDOW earlier AS (
            PARTITION BY trace_id, task, parent_span_id
            ORDER BY start_time, span_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        )
    )
    UPDATE asm_calls c SET
        task = e.task, task_source = e.task_source, escalated_from = e.escalated_from,
        verification = e.verification, escalation = e.escalation
    FROM escalated e
    WHERE e.trace_id = c.trace_id AND e.span_id = c.span_id AND e.start_time = c.start_time
    """
)

_BOUNDS = text("SELECT min(start_time), max(start_time) FROM asm_calls")

_WRITE_CALLS = text(
    """
    UPDATE llm_calls l SET
        task = c.task, task_source = c.task_source, escalated_from = c.escalated_from,
        verification = c.verification, escalation = c.escalation
    FROM asm_calls c
    WHERE l.trace_id = c.trace_id AND l.span_id = c.span_id AND l.start_time = c.start_time
      AND l.start_time >= :lo AND l.start_time <= :hi
      AND (l.task, l.task_source, l.escalated_from, l.verification, l.escalation)
          IS DISTINCT FROM (c.task, c.task_source, c.escalated_from, c.verification, c.escalation)
    """
)


def resolve_calls(conn: Connection) -> None:
    """Fill task, task_source, escalated_from, verification and escalation of every staged call."""
    conn.execute(_RESOLVE, {"max_chars": TASK_MAX_CHARS})


def write_calls(conn: Connection) -> int:
    """Store the resolution on ``llm_calls``; only rows that change are written. Returns that count."""
    lo, hi = conn.execute(_BOUNDS).one()
    if lo is None:
        return 0
    return int(conn.execute(_WRITE_CALLS, {"lo": lo, "hi": hi}).rowcount or 0)
