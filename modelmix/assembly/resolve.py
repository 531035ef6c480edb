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
        SELECT c.trace_id, c.span_id AS call_span, c.start_time AS call_start,
               n.parent_span_id AS next_span, 1 AS depth, n.is_call, n.name, n.task,
               n.workflow_name, n.trace_name, n.escalated_from, n.verification
        FROM asm_calls c
        JOIN asm_nodes n ON n.trace_id = c.trace_id AND n.span_id = c.parent_span_id
        UNION ALL
        SELECT a.trace_id, a.call_span, a.call_start, n.parent_span_id, a.depth + 1, n.is_call,
               n.name, n.task, n.workflow_name, n.trace_name, n.escalated_from, n.verification
        FROM anc a
        JOIN asm_nodes n ON n.trace_id = a.trace_id AND n.span_id = a.next_span
        WHERE a.depth < 64
    ),
    found AS (
        SELECT trace_id, call_span, call_start,
            (array_agg(task ORDER BY depth) FILTER (WHERE task IS NOT NULL))[1] AS task,
            (array_agg(workflow_name ORDER BY depth) FILTER (WHERE workflow_name IS NOT NULL))[1]
                AS workflow_name,
            (array_agg(trace_name ORDER BY depth) FILTER (WHERE trace_name IS NOT NULL))[1] AS trace_name,
            (array_agg(name ORDER BY depth DESC) FILTER (WHERE NOT is_call AND name IS NOT NULL))[1]
                AS top_name,
            (array_agg(escalated_from ORDER BY depth) FILTER (WHERE escalated_from IS NOT NULL))[1]
                AS escalated_from,
            (array_agg(verification ORDER BY depth) FILTER (WHERE verification IS NOT NULL))[1]
                AS verification
        FROM anc
        GROUP BY trace_id, call_span, call_start
    ),
    roots AS (
        SELECT DISTINCT ON (trace_id) trace_id, nullif(btrim(name), '') AS name
        FROM asm_nodes
        WHERE NOT is_call AND parent_span_id IS NULL AND nullif(btrim(name), '') IS NOT NULL
        ORDER BY trace_id, start_time, span_id
    ),
    resolved AS (
        SELECT c.trace_id, c.span_id, c.start_time, c.old_task, c.old_task_source,
            left(coalesce(c.own_task, f.task, f.workflow_name, c.own_trace_name, f.trace_name,
                          r.name, nullif(btrim(f.top_name), ''), nullif(btrim(c.service), ''),
                          'unknown_service'), :max_chars) AS new_task,
            CASE
                WHEN c.own_task IS NOT NULL THEN 'call_attribute'
                WHEN f.task IS NOT NULL THEN 'ancestor_task'
                WHEN f.workflow_name IS NOT NULL THEN 'workflow_name'
                WHEN coalesce(c.own_trace_name, f.trace_name) IS NOT NULL THEN 'trace_name'
                WHEN coalesce(r.name, nullif(btrim(f.top_name), '')) IS NOT NULL THEN 'root_span_name'
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
    ranked AS (
        SELECT *,
            CASE new_source WHEN 'call_attribute' THEN 6 WHEN 'ancestor_task' THEN 5
                WHEN 'workflow_name' THEN 4 WHEN 'trace_name' THEN 3 WHEN 'root_span_name' THEN 2
                ELSE 1 END AS new_strength,
            CASE old_task_source WHEN 'call_attribute' THEN 6 WHEN 'ancestor_task' THEN 5
                WHEN 'workflow_name' THEN 4 WHEN 'trace_name' THEN 3 WHEN 'root_span_name' THEN 2
                WHEN 'service_name' THEN 1 ELSE 0 END AS old_strength
        FROM resolved
    )
    UPDATE asm_calls c SET
        task = CASE WHEN k.old_strength > k.new_strength THEN k.old_task ELSE k.new_task END,
        task_source = CASE WHEN k.old_strength > k.new_strength THEN k.old_task_source ELSE k.new_source END,
        escalated_from = k.escalated_from,
        verification = k.verification
    FROM ranked k
    WHERE k.trace_id = c.trace_id AND k.span_id = c.span_id AND k.start_time = c.start_time
    """
)

_MARK_ESCALATIONS = text(
    """
    UPDATE asm_calls c SET escalation = e.escalation
    FROM (
        SELECT x.trace_id, x.span_id, x.start_time,
            CASE
                WHEN x.escalated_from IS NOT NULL THEN 'explicit'
                WHEN x.call_kind = 'llm' AND x.parent_span_id IS NOT NULL
                     AND m.rank > min(m.rank) FILTER (WHERE x.call_kind = 'llm') OVER earlier
                    THEN 'inferred'
            END AS escalation
        FROM asm_calls x
        LEFT JOIN asm_models m ON m.name = x.model_name
        WINDOW earlier AS (
            PARTITION BY x.trace_id, x.task, x.parent_span_id
            ORDER BY x.start_time, x.span_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        )
    ) e
    WHERE e.trace_id = c.trace_id AND e.span_id = c.span_id AND e.start_time = c.start_time
      AND c.escalation IS DISTINCT FROM e.escalation
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
    conn.execute(_MARK_ESCALATIONS)


def write_calls(conn: Connection) -> int:
    """Store the resolution on ``llm_calls``; only rows that change are written. Returns that count."""
    lo, hi = conn.execute(_BOUNDS).one()
    if lo is None:
        return 0
    return int(conn.execute(_WRITE_CALLS, {"lo": lo, "hi": hi}).rowcount or 0)
