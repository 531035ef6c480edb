"""Build ``task_runs`` — one row per (trace, task) — from the staged, resolved calls.

A run's totals cover every call of the task in the trace (embeddings included); ``cost_usd`` is
NULL as soon as one call is unpriced, ``priced_cost_usd`` sums the priced ones. First and final
model are the first and last inference calls by start time. The run's verification is the outcome
resolved for its latest call that has one.

Escalation: the run's first escalated call (explicit ones preferred) names the model escalated *to*;
the model escalated *from* is the latest earlier, non-escalated inference call of the run (for an
inferred escalation: under the same parent and cheaper), or else the ``modelmix.escalated_from``
value itself. ``escalation_cost_usd`` = that cheap attempt + every escalated call of the run; NULL
when any of them is unpriced.

Runs are upserted and rewritten only when something changed, so re-assembling an unchanged trace
leaves them (and their ``assembled_at``) untouched; runs whose task vanished from a trace are deleted.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

_UPSERT_RUNS = text(
    """
    WITH first_escalated AS (
        SELECT DISTINCT ON (trace_id, task)
            trace_id, task, span_id, start_time, parent_span_id, model_name, escalation, escalated_from
        FROM asm_calls
        WHERE escalation IS NOT NULL
        ORDER BY trace_id, task, (escalation = 'explicit') DESC, start_time, span_id
    ),
    escalation AS (
        SELECT e.trace_id, e.task, e.escalation, e.model_name AS to_model,
            coalesce(f.model_name, e.escalated_from) AS from_model,
            f.span_id IS NOT NULL AS has_from, f.cost_usd AS from_cost
        FROM first_escalated e
        LEFT JOIN asm_models em ON em.name = e.model_name
        LEFT JOIN LATERAL (
            SELECT p.model_name, p.cost_usd, p.span_id
            FROM asm_calls p
            LEFT JOIN asm_models pm ON pm.name = p.model_name
            WHERE p.trace_id = e.trace_id AND p.task = e.task AND p.call_kind = 'llm'
              AND p.escalation IS NULL
              AND (p.start_time, p.span_id) < (e.start_time, e.span_id)
              AND (e.escalation = 'explicit'
                   OR (p.parent_span_id = e.parent_span_id AND pm.rank < em.rank))
            ORDER BY p.start_time DESC, p.span_id DESC
            LIMIT 1
        ) f ON true
    ),
    runs AS (
        SELECT trace_id, task,
            (array_agg(service ORDER BY start_time, span_id))[1] AS service,
            (array_agg(environment ORDER BY start_time, span_id))[1] AS environment,
            min(start_time) AS start_time, max(end_time) AS end_time,
            count(*) AS calls, count(*) FILTER (WHERE status = 'error') AS errors,
            sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
            sum(cache_read_tokens) AS cache_read_tokens,
            sum(cost_usd) AS priced_cost, count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced,
            (array_agg(model_name ORDER BY start_time, span_id)
                FILTER (WHERE call_kind = 'llm' AND model_name IS NOT NULL))[1] AS first_model,
            (array_agg(model_name ORDER BY start_time DESC, span_id DESC)
                FILTER (WHERE call_kind = 'llm' AND model_name IS NOT NULL))[1] AS final_model,
            sum(cost_usd) FILTER (WHERE escalation IS NOT NULL) AS escalated_cost,
            count(*) FILTER (WHERE escalation IS NOT NULL AND cost_usd IS NULL) AS escalated_unpriced,
            (array_agg(verification ORDER BY start_time DESC, span_id DESC)
                FILTER (WHERE verification IS NOT NULL))[1] AS verification
        FROM asm_calls
        GROUP BY trace_id, task
    )
    INSERT INTO task_runs AS t (
        trace_id, task, service, environment, start_time, end_time, calls, errors, input_tokens,
        output_tokens, cache_read_tokens, cost_usd, priced_cost_usd, unpriced_calls, first_model,
        final_model, escalated, escalation, escalated_from_model, escalated_to_model,
        escalation_cost_usd, has_error, verification, assembled_at)
    SELECT r.trace_id, r.task, r.service, r.environment, r.start_time, r.end_time, r.calls, r.errors,
        r.input_tokens, r.output_tokens, r.cache_read_tokens,
        CASE WHEN r.unpriced = 0 THEN r.priced_cost END, r.priced_cost, r.unpriced,
        r.first_model, r.final_model, e.trace_id IS NOT NULL, e.escalation, e.from_model, e.to_model,
        CASE WHEN e.trace_id IS NOT NULL AND r.escalated_unpriced = 0
                  AND (NOT e.has_from OR e.from_cost IS NOT NULL)
             THEN r.escalated_cost + coalesce(e.from_cost, 0) END,
        r.errors > 0, r.verification, now()
    FROM runs r
    LEFT JOIN escalation e ON e.trace_id = r.trace_id AND e.task = r.task
    ON CONFLICT (trace_id, task) DO UPDATE SET
        service = excluded.service, environment = excluded.environment,
        start_time = excluded.start_time, end_time = excluded.end_time, calls = excluded.calls,
        errors = excluded.errors, input_tokens = excluded.input_tokens,
        output_tokens = excluded.output_tokens, cache_read_tokens = excluded.cache_read_tokens,
        cost_usd = excluded.cost_usd, priced_cost_usd = excluded.priced_cost_usd,
        unpriced_calls = excluded.unpriced_calls, first_model = excluded.first_model,
        final_model = excluded.final_model, escalated = excluded.escalated,
        escalation = excluded.escalation, escalated_from_model = excluded.escalated_from_model,
        escalated_to_model = excluded.escalated_to_model,
        escalation_cost_usd = excluded.escalation_cost_usd, has_error = excluded.has_error,
        verification = excluded.verification, assembled_at = excluded.assembled_at
    WHERE (t.service, t.environment, t.start_time, t.end_time, t.calls, t.errors, t.input_tokens,
           t.output_tokens, t.cache_read_tokens, t.cost_usd, t.priced_cost_usd, t.unpriced_calls,
           t.first_model, t.final_model, t.escalated, t.escalation, t.escalated_from_model,
           t.escalated_to_model, t.escalation_cost_usd, t.has_error, t.verification)
        IS DISTINCT FROM
          (excluded.service, excluded.environment, excluded.start_time, excluded.end_time,
           excluded.calls, excluded.errors, excluded.input_tokens, excluded.output_tokens,
           excluded.cache_read_tokens, excluded.cost_usd, excluded.priced_cost_usd,
           excluded.unpriced_calls, excluded.first_model, excluded.final_model, excluded.escalated,
           excluded.escalation, excluded.escalated_from_model, excluded.escalated_to_model,
           excluded.escalation_cost_usd, excluded.has_error, excluded.verification)
    """
)

_DELETE_VANISHED = text(
    """
    DELETE FROM task_runs t
    USING asm_batch b
    WHERE t.trace_id = b.trace_id
      AND NOT EXISTS (SELECT 1 FROM asm_calls c WHERE c.trace_id = t.trace_id AND c.task = t.task)
    """
)

_COUNT_RUNS = text("SELECT count(*) FROM (SELECT DISTINCT trace_id, task FROM asm_calls) runs")


def build_task_runs(conn: Connection) -> int:
    """Upsert the batch's runs and delete runs whose task no longer occurs; return the run count."""
    conn.execute(_DELETE_VANISHED)
    conn.execute(_UPSERT_RUNS)
    return int(conn.execute(_COUNT_RUNS).scalar_one())
