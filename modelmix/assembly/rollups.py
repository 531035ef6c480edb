"""Hourly rollups (``call_rollups_hourly``), kept equal to the assembled raw rows.

Invariant: the rollups are exactly the aggregate of ``llm_calls`` rows that have been assembled
(``task_source`` is one of the assembler's ``TASK_SOURCES``), grouped by hour (UTC) × service × environment × task × call kind ×
canonical model × provider × tier × status. Unknown dimensions are ``''``; ``cost_usd`` sums priced
calls (NULL when none is priced) and ``unpriced_calls`` counts the others; token sums cover known
counts (NULL when none is known) and ``calls_missing_tokens`` counts calls lacking input or output.

A batch changes the rollups by its own contribution only, so the cost follows the batch and not the
size of the hour: new calls, and calls whose task or escalation changed, are added to their group;
a group that a call *left* (its task changed on re-assembly — rare) is recomputed exactly from
``llm_calls`` for that hour, as is any group found inconsistent. ``recompute_hours`` rebuilds whole
hours (used after a reprice or a tier change). Every writer holds the assembler lock, so rollup
maintenance is serialized.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, text

from modelmix.assembly.locks import start_assembly_transaction
from modelmix.assembly.model_names import rebuild_model_name_hours
from modelmix.assembly.ranking import ModelRanking, load_ranking
from modelmix.assembly.reprice_rollups import rebuild_reprice_hours
from modelmix.assembly.resolve import TASK_SOURCES
from modelmix.assembly.run_rollups import rebuild_run_hours
from modelmix.assembly.staging import create_working_tables

DIM_MAX_CHARS = 200

_CREATE_DELTA = """
CREATE TEMP TABLE IF NOT EXISTS asm_delta (
    hour timestamptz NOT NULL, service text NOT NULL, environment text NOT NULL, task text NOT NULL,
    call_kind text NOT NULL, canonical_model text NOT NULL, provider text NOT NULL, status text NOT NULL,
    exact boolean NOT NULL, calls bigint, input_tokens numeric, input_known bigint,
    cache_read_tokens numeric, cache_read_known bigint, cache_write_tokens numeric,
    cache_write_known bigint, output_tokens numeric, output_known bigint, reasoning_tokens numeric,
    reasoning_known bigint, calls_missing_tokens bigint, cost_usd numeric, priced_calls bigint,
    unpriced_calls bigint, escalated_calls bigint, duration_ms_sum double precision,
    duration_known bigint
) ON COMMIT DELETE ROWS
"""

# One row per contribution: +1 for a call entering a group, -1 (leaving) for a re-assembled call
# whose task changed, and an escalated-count-only row when just its escalation changed.
_COLLECT_DELTA = text(
    """
    INSERT INTO asm_delta
    WITH contributions AS (
        SELECT start_time, service, environment, task, call_kind, canonical_model, provider, status,
            false AS leaving, 1 AS calls, input_tokens, cache_read_tokens, cache_write_tokens,
            output_tokens, reasoning_tokens, cost_usd, duration_ms,
            (input_tokens IS NULL OR output_tokens IS NULL)::int AS missing,
            (cost_usd IS NULL)::int AS unpriced, (escalation IS NOT NULL)::int AS escalated
        FROM asm_calls
        WHERE NOT old_assembled OR old_task IS DISTINCT FROM task
        UNION ALL
        SELECT start_time, service, environment, old_task, call_kind, canonical_model, provider, status,
            true, -1, -input_tokens, -cache_read_tokens, -cache_write_tokens, -output_tokens,
            -reasoning_tokens, -cost_usd, -duration_ms,
            -(input_tokens IS NULL OR output_tokens IS NULL)::int, -(cost_usd IS NULL)::int,
            -(old_escalation IS NOT NULL)::int
        FROM asm_calls
        WHERE old_assembled AND old_task IS DISTINCT FROM task
        UNION ALL
        SELECT start_time, service, environment, task, call_kind, canonical_model, provider, status,
            false, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0,
            (escalation IS NOT NULL)::int - (old_escalation IS NOT NULL)::int
        FROM asm_calls
        WHERE old_assembled AND old_task IS NOT DISTINCT FROM task
          AND old_escalation IS DISTINCT FROM escalation
    )
    SELECT date_trunc('hour', start_time, 'UTC'), left(service, :n), left(coalesce(environment, ''), :n),
        left(task, :n), call_kind, left(coalesce(canonical_model, ''), :n),
        left(coalesce(provider, ''), :n), status,
        bool_or(leaving), sum(calls),
        sum(input_tokens), count(*) FILTER (WHERE input_tokens IS NOT NULL),
        sum(cache_read_tokens), count(*) FILTER (WHERE cache_read_tokens IS NOT NULL),
        sum(cache_write_tokens), count(*) FILTER (WHERE cache_write_tokens IS NOT NULL),
        sum(output_tokens), count(*) FILTER (WHERE output_tokens IS NOT NULL),
        sum(reasoning_tokens), count(*) FILTER (WHERE reasoning_tokens IS NOT NULL),
        sum(missing), sum(cost_usd), count(*) FILTER (WHERE cost_usd IS NOT NULL),
        sum(unpriced), sum(escalated), sum(duration_ms), count(*) FILTER (WHERE duration_ms IS NOT NULL)
    FROM contributions
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    """
)

_MERGE_ADDITIVE = text(
    """
    INSERT INTO call_rollups_hourly AS r (
        hour, service, environment, task, call_kind, canonical_model, provider, tier, status, calls,
        input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
        calls_missing_tokens, cost_usd, unpriced_calls, escalated_calls, duration_ms_sum)
    SELECT d.hour, d.service, d.environment, d.task, d.call_kind, d.canonical_model, d.provider,
        coalesce(m.tier, ''), d.status, d.calls,
        CASE WHEN d.input_known > 0 THEN d.input_tokens END,
        CASE WHEN d.cache_read_known > 0 THEN d.cache_read_tokens END,
        CASE WHEN d.cache_write_known > 0 THEN d.cache_write_tokens END,
        CASE WHEN d.output_known > 0 THEN d.output_tokens END,
        CASE WHEN d.reasoning_known > 0 THEN d.reasoning_tokens END,
        d.calls_missing_tokens, CASE WHEN d.priced_calls > 0 THEN d.cost_usd END,
        d.unpriced_calls, d.escalated_calls, CASE WHEN d.duration_known > 0 THEN d.duration_ms_sum END
    FROM asm_delta d
    LEFT JOIN asm_models m ON m.name = nullif(d.canonical_model, '')
    WHERE NOT d.exact
    ON CONFLICT (hour, service, environment, task, call_kind, canonical_model, provider, tier, status)
    DO UPDATE SET
        calls = r.calls + excluded.calls,
        input_tokens = CASE WHEN r.input_tokens IS NULL THEN excluded.input_tokens
                            ELSE r.input_tokens + coalesce(excluded.input_tokens, 0) END,
        cache_read_tokens = CASE WHEN r.cache_read_tokens IS NULL THEN excluded.cache_read_tokens
                            ELSE r.cache_read_tokens + coalesce(excluded.cache_read_tokens, 0) END,
        cache_write_tokens = CASE WHEN r.cache_write_tokens IS NULL THEN excluded.cache_write_tokens
                            ELSE r.cache_write_tokens + coalesce(excluded.cache_write_tokens, 0) END,
        output_tokens = CASE WHEN r.output_tokens IS NULL THEN excluded.output_tokens
                            ELSE r.output_tokens + coalesce(excluded.output_tokens, 0) END,
        reasoning_tokens = CASE WHEN r.reasoning_tokens IS NULL THEN excluded.reasoning_tokens
                            ELSE r.reasoning_tokens + coalesce(excluded.reasoning_tokens, 0) END,
        calls_missing_tokens = r.calls_missing_tokens + excluded.calls_missing_tokens,
        cost_usd = CASE WHEN r.cost_usd IS NULL THEN excluded.cost_usd
                        ELSE r.cost_usd + coalesce(excluded.cost_usd, 0) END,
        unpriced_calls = r.unpriced_calls + excluded.unpriced_calls,
        escalated_calls = r.escalated_calls + excluded.escalated_calls,
        duration_ms_sum = CASE WHEN r.duration_ms_sum IS NULL THEN excluded.duration_ms_sum
                               ELSE r.duration_ms_sum + coalesce(excluded.duration_ms_sum, 0) END
    """
)

# Groups touched additively that ended up impossible (e.g. the tier of a model changed since its
# calls were rolled up) are recomputed exactly as well.
_FLAG_INCONSISTENT = text(
    """
    UPDATE asm_delta d SET exact = true
    WHERE NOT d.exact AND EXISTS (
        SELECT 1 FROM call_rollups_hourly r
        WHERE r.hour = d.hour AND r.service = d.service AND r.environment = d.environment
          AND r.task = d.task AND r.call_kind = d.call_kind AND r.canonical_model = d.canonical_model
          AND r.provider = d.provider AND r.status = d.status
          AND (r.calls <= 0 OR r.escalated_calls < 0 OR r.escalated_calls > r.calls
               OR r.unpriced_calls < 0 OR r.unpriced_calls > r.calls
               OR r.calls_missing_tokens < 0 OR r.calls_missing_tokens > r.calls)
    )
    """
)

_DELETE_EXACT = text(
    """
    DELETE FROM call_rollups_hourly r
    USING (SELECT DISTINCT hour, service, environment, task, call_kind, canonical_model, provider, status
           FROM asm_delta WHERE exact) g
    WHERE r.hour = g.hour AND r.service = g.service AND r.environment = g.environment
      AND r.task = g.task AND r.call_kind = g.call_kind AND r.canonical_model = g.canonical_model
      AND r.provider = g.provider AND r.status = g.status
    """
)

# Each affected hour is read once (an index range on start_time); its assembled calls are matched to
# the affected groups with a hash join.
_INSERT_EXACT = text(
    """
    WITH g AS MATERIALIZED (
        SELECT DISTINCT hour, service, environment, task, call_kind, canonical_model, provider, status
        FROM asm_delta WHERE exact
    ),
    hours AS MATERIALIZED (SELECT DISTINCT hour FROM g),
    calls AS (
        SELECT h.hour, x.*
        FROM hours h
        CROSS JOIN LATERAL (
            SELECT left(l.service, :n) AS service, left(coalesce(l.environment, ''), :n) AS environment,
                l.task, l.call_kind, left(coalesce(l.canonical_model, ''), :n) AS canonical_model,
                left(coalesce(l.provider, ''), :n) AS provider, l.status, l.input_tokens,
                l.cache_read_tokens, l.cache_write_tokens, l.output_tokens, l.reasoning_tokens,
                l.cost_usd, l.escalation, l.duration_ms
            FROM llm_calls l
            WHERE l.start_time >= h.hour AND l.start_time < h.hour + interval '1 hour'
              AND l.task_source = ANY(:sources)
            OFFSET 0  -- keeps the subquery per hour, so the start_time index serves it
        ) x
    )
    INSERT INTO call_rollups_hourly (
        hour, service, environment, task, call_kind, canonical_model, provider, tier, status, calls,
        input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
        calls_missing_tokens, cost_usd, unpriced_calls, escalated_calls, duration_ms_sum)
    SELECT c.hour, c.service, c.environment, c.task, c.call_kind, c.canonical_model, c.provider,
        coalesce(m.tier, ''), c.status, count(*),
        sum(c.input_tokens), sum(c.cache_read_tokens), sum(c.cache_write_tokens), sum(c.output_tokens),
        sum(c.reasoning_tokens),
        count(*) FILTER (WHERE c.input_tokens IS NULL OR c.output_tokens IS NULL),
        sum(c.cost_usd), count(*) FILTER (WHERE c.cost_usd IS NULL),
        count(*) FILTER (WHERE c.escalation IS NOT NULL), sum(c.duration_ms)
    FROM calls c
    JOIN g USING (hour, service, environment, task, call_kind, canonical_model, provider, status)
    LEFT JOIN asm_models m ON m.name = nullif(c.canonical_model, '')
    GROUP BY c.hour, c.service, c.environment, c.task, c.call_kind, c.canonical_model, c.provider,
        coalesce(m.tier, ''), c.status
    """
)

_COUNT_EXACT = text("SELECT count(*) FILTER (WHERE exact), count(*) FROM asm_delta")


def apply_batch_to_rollups(conn: Connection) -> tuple[int, int]:
    """Fold the staged batch into the rollups; return (groups touched, groups recomputed exactly)."""
    conn.exec_driver_sql(_CREATE_DELTA)
    conn.execute(_COLLECT_DELTA, {"n": DIM_MAX_CHARS})
    conn.execute(_MERGE_ADDITIVE)
    conn.execute(_FLAG_INCONSISTENT)
    exact, total = conn.execute(_COUNT_EXACT).one()
    if exact:
        conn.execute(_DELETE_EXACT)
        conn.execute(_INSERT_EXACT, {"n": DIM_MAX_CHARS, "sources": list(TASK_SOURCES)})
    return int(total), int(exact)


_WINDOW_MODELS = text(
    """
    SELECT DISTINCT canonical_model FROM llm_calls
    WHERE start_time >= :lo AND start_time < :hi AND nullif(canonical_model, '') IS NOT NULL
    """
)

_DELETE_HOURS = text("DELETE FROM call_rollups_hourly WHERE hour >= :lo AND hour < :hi")

_INSERT_HOURS = text(
    """
    INSERT INTO call_rollups_hourly (
        hour, service, environment, task, call_kind, canonical_model, provider, tier, status, calls,
        input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
        calls_missing_tokens, cost_usd, unpriced_calls, escalated_calls, duration_ms_sum)
    SELECT date_trunc('hour', l.start_time, 'UTC'), left(l.service, :n),
        left(coalesce(l.environment, ''), :n), left(l.task, :n), l.call_kind,
        left(coalesce(l.canonical_model, ''), :n), left(coalesce(l.provider, ''), :n),
        coalesce(m.tier, ''), l.status, count(*),
        sum(l.input_tokens), sum(l.cache_read_tokens), sum(l.cache_write_tokens), sum(l.output_tokens),
        sum(l.reasoning_tokens),
        count(*) FILTER (WHERE l.input_tokens IS NULL OR l.output_tokens IS NULL),
        sum(l.cost_usd), count(*) FILTER (WHERE l.cost_usd IS NULL),
        count(*) FILTER (WHERE l.escalation IS NOT NULL), sum(l.duration_ms)
    FROM llm_calls l
    LEFT JOIN asm_models m ON m.name = nullif(l.canonical_model, '')
    WHERE l.start_time >= :lo AND l.start_time < :hi AND l.task_source = ANY(:sources)
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    """
)


def hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hour_ceil(moment: datetime) -> datetime:
    floor = hour_floor(moment)
    return floor if floor == moment.astimezone(UTC) else floor + timedelta(hours=1)


def recompute_hours(
    engine: Engine, since: datetime, until: datetime, *, ranking: ModelRanking | None = None
) -> int:
    """Rebuild every rollup hour that overlaps [since, until) from the assembled raw rows.

    Covers the call rollups, the task-run rollups (and the run-cost histogram of the days touched)
    and the re-pricing rollups. Called after a reprice (costs changed) or a tier change. Works a day per transaction so a long
    window does not hold one huge transaction. Returns the number of rollup rows written.
    """
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware datetimes")
    if since >= until:
        raise ValueError(f"since ({since.isoformat()}) must be before until ({until.isoformat()})")
    ranking = ranking or load_ranking(engine)
    lo, end = hour_floor(since), hour_ceil(until)
    sources = list(TASK_SOURCES)
    written = 0
    while lo < end:
        hi = min(lo + timedelta(days=1), end)
        with engine.begin() as conn:
            start_assembly_transaction(conn)
            create_working_tables(conn)
            names = [str(name) for (name,) in conn.execute(_WINDOW_MODELS, {"lo": lo, "hi": hi})]
            if names:
                conn.execute(
                    text("INSERT INTO asm_models (name, rank, tier) VALUES (:name, NULL, :tier)"),
                    [{"name": name, "tier": ranking.tier(name)} for name in names],
                )
            conn.execute(_DELETE_HOURS, {"lo": lo, "hi": hi})
            written += int(conn.execute(_INSERT_HOURS, {"lo": lo, "hi": hi, "n": DIM_MAX_CHARS, "sources": sources}).rowcount or 0)
            rebuild_run_hours(conn, lo, hi)
            rebuild_reprice_hours(conn, lo, hi)
            rebuild_model_name_hours(conn, lo, hi)
        lo = hi
    return written
