"""Size-banded hourly call rollups (``call_reprice_rollups_hourly``) for re-pricing at another model.

Invariant: the table is exactly the aggregate of the assembled (``task_source`` in ``TASK_SOURCES``)
LLM calls (``call_kind = 'llm'``) of ``llm_calls``, grouped by hour (UTC) × service × environment ×
task × canonical model × provider × first attempt (``escalation IS NULL``) × size band. Unknown
dimensions are ``''`` and every dimension is cut to 200 characters, as in ``call_rollups_hourly``.

``size_band`` is the number of ``SIZE_BOUNDARIES`` the call's input tokens strictly exceed (0..9);
a call with unknown input tokens is in band 0 (it is never priceable, so its band never matters).
The boundaries are every prompt-size threshold of the bundled genai-prices data, so any target
price whose thresholds are among them can be applied per call from the rollup alone.

Per group: ``calls``; *priceable* calls (cost, input and output tokens known) with their cost and
token sums (missing cache/reasoning counts as 0); ``unpriced_calls`` (no cost); ``no_token_calls``
(cost known, input or output tokens not) with their cost. Every column is a plain sum, so a batch
is folded in by its +1/−1 contributions: new calls, and re-assembled calls whose task or
first-attempt flag changed (−1 from the old group, +1 to the new one). Groups that become empty are
deleted; an hour whose groups turn out inconsistent is rebuilt from ``llm_calls``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, text

from modelmix.assembly.resolve import TASK_SOURCES

DIM_MAX_CHARS = 200
# Every prompt-size threshold in the bundled genai-prices data (ascending). Changing them needs a
# rebuild of the table (and of the copy in migration 0003).
SIZE_BOUNDARIES: tuple[int, ...] = (32_000, 100_000, 128_000, 199_999, 200_000, 256_000, 272_000, 512_000, 524_288)

# width_bucket over (boundary + 1) counts the boundaries strictly below the input.
_BAND_SQL = "coalesce(width_bucket({col}, ARRAY[" + ", ".join(str(b + 1) for b in SIZE_BOUNDARIES) + "]::bigint[]), 0)"

_COLUMNS = (
    "hour, service, environment, task, canonical_model, provider, first_attempt, size_band, calls, "
    "priceable_calls, priceable_cost_usd, input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, "
    "reasoning_tokens, unpriced_calls, no_token_calls, no_token_cost_usd"
)

# Measures of a set of rows with columns sign, cost_usd, the token counts and ``ok`` (priceable).
_MEASURES = """
    sum(sign), coalesce(sum(sign) FILTER (WHERE ok), 0), coalesce(sum(sign * cost_usd) FILTER (WHERE ok), 0),
    coalesce(sum(sign * input_tokens) FILTER (WHERE ok), 0),
    coalesce(sum(sign * coalesce(cache_read_tokens, 0)) FILTER (WHERE ok), 0),
    coalesce(sum(sign * coalesce(cache_write_tokens, 0)) FILTER (WHERE ok), 0),
    coalesce(sum(sign * output_tokens) FILTER (WHERE ok), 0),
    coalesce(sum(sign * coalesce(reasoning_tokens, 0)) FILTER (WHERE ok), 0),
    coalesce(sum(sign) FILTER (WHERE cost_usd IS NULL), 0),
    coalesce(sum(sign) FILTER (WHERE cost_usd IS NOT NULL AND NOT ok), 0),
    coalesce(sum(sign * cost_usd) FILTER (WHERE cost_usd IS NOT NULL AND NOT ok), 0)
"""

_OK = "(cost_usd IS NOT NULL AND input_tokens IS NOT NULL AND output_tokens IS NOT NULL)"

_CHANGED = "(old_task IS DISTINCT FROM task OR (old_escalation IS NULL) <> (escalation IS NULL))"

_KEY = (
    "date_trunc('hour', start_time, 'UTC'), left(service, :n), left(coalesce(environment, ''), :n), "
    "left(coalesce(task, ''), :n), left(coalesce(canonical_model, ''), :n), left(coalesce(provider, ''), :n), "
    "first_attempt, " + _BAND_SQL.format(col="input_tokens")
)

# One +1 row per call entering a group, one -1 row per re-assembled call leaving its old group.
_MERGE_BATCH = text(
    f"""
    WITH contributions AS (
        SELECT start_time, service, environment, task, canonical_model, provider,
            escalation IS NULL AS first_attempt, 1 AS sign, cost_usd, input_tokens, cache_read_tokens,
            cache_write_tokens, output_tokens, reasoning_tokens, {_OK} AS ok
        FROM asm_calls
        WHERE call_kind = 'llm' AND (NOT old_assembled OR {_CHANGED})
        UNION ALL
        SELECT start_time, service, environment, old_task, canonical_model, provider,
            old_escalation IS NULL, -1, cost_usd, input_tokens, cache_read_tokens,
            cache_write_tokens, output_tokens, reasoning_tokens, {_OK}
        FROM asm_calls
        WHERE call_kind = 'llm' AND old_assembled AND {_CHANGED}
    ),
    merged AS (
        INSERT INTO call_reprice_rollups_hourly AS r ({_COLUMNS})
        SELECT {_KEY}, {_MEASURES}
        FROM contributions
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (hour, service, environment, task, canonical_model, provider, first_attempt, size_band)
        DO UPDATE SET
            calls = r.calls + excluded.calls,
            priceable_calls = r.priceable_calls + excluded.priceable_calls,
            priceable_cost_usd = r.priceable_cost_usd + excluded.priceable_cost_usd,
            input_tokens = r.input_tokens + excluded.input_tokens,
            cache_read_tokens = r.cache_read_tokens + excluded.cache_read_tokens,
            cache_write_tokens = r.cache_write_tokens + excluded.cache_write_tokens,
            output_tokens = r.output_tokens + excluded.output_tokens,
            reasoning_tokens = r.reasoning_tokens + excluded.reasoning_tokens,
            unpriced_calls = r.unpriced_calls + excluded.unpriced_calls,
            no_token_calls = r.no_token_calls + excluded.no_token_calls,
            no_token_cost_usd = r.no_token_cost_usd + excluded.no_token_cost_usd
        RETURNING r.hour, r.calls, r.priceable_calls, r.priceable_cost_usd, r.input_tokens, r.cache_read_tokens,
            r.cache_write_tokens, r.output_tokens, r.reasoning_tokens, r.unpriced_calls, r.no_token_calls,
            r.no_token_cost_usd
    ),
    flags AS (
        SELECT hour, calls = 0 AS empty,
            calls < 0 OR priceable_calls < 0 OR unpriced_calls < 0 OR no_token_calls < 0
            OR priceable_calls + unpriced_calls + no_token_calls <> calls
            OR least(input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens) < 0
            OR (priceable_calls = 0 AND (priceable_cost_usd <> 0 OR input_tokens <> 0 OR cache_read_tokens <> 0
                OR cache_write_tokens <> 0 OR output_tokens <> 0 OR reasoning_tokens <> 0))
            OR (no_token_calls = 0 AND no_token_cost_usd <> 0) AS bad
        FROM merged
    )
    SELECT hour, bool_or(empty) AS has_empty, bool_or(bad) AS inconsistent
    FROM flags
    WHERE empty OR bad
    GROUP BY hour
    """  # noqa: S608
)

_DELETE_EMPTY = text(
    """
    DELETE FROM call_reprice_rollups_hourly
    WHERE hour = ANY(:hours) AND calls = 0 AND priceable_calls = 0 AND unpriced_calls = 0 AND no_token_calls = 0
      AND priceable_cost_usd = 0 AND no_token_cost_usd = 0 AND input_tokens = 0 AND cache_read_tokens = 0
      AND cache_write_tokens = 0 AND output_tokens = 0 AND reasoning_tokens = 0
    """
)

_DELETE_HOURS = text("DELETE FROM call_reprice_rollups_hourly WHERE hour >= :lo AND hour < :hi")

_INSERT_HOURS = text(
    f"""
    INSERT INTO call_reprice_rollups_hourly ({_COLUMNS})
    SELECT {_KEY}, {_MEASURES}
    FROM (
        SELECT start_time, service, environment, task, canonical_model, provider,
            escalation IS NULL AS first_attempt, 1 AS sign, cost_usd, input_tokens, cache_read_tokens,
            cache_write_tokens, output_tokens, reasoning_tokens, {_OK} AS ok
        FROM llm_calls
        WHERE start_time >= :lo AND start_time < :hi AND call_kind = 'llm' AND task_source = ANY(:sources)
    ) c
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    """  # noqa: S608
)


def apply_batch_to_reprice_rollups(conn: Connection) -> int:
    """Fold the staged batch (``asm_calls``) into the rollup; return the hours rebuilt exactly.

    Runs after the batch's calls are written to ``llm_calls`` (an inconsistent hour is rebuilt from
    there)."""
    flagged = conn.execute(_MERGE_BATCH, {"n": DIM_MAX_CHARS}).all()
    empty = [row.hour for row in flagged if row.has_empty and not row.inconsistent]
    if empty:
        conn.execute(_DELETE_EMPTY, {"hours": empty})
    broken = sorted(row.hour for row in flagged if row.inconsistent)
    for hour in broken:
        rebuild_reprice_hours(conn, hour, hour + timedelta(hours=1))
    return len(broken)


def rebuild_reprice_hours(conn: Connection, lo: datetime, hi: datetime) -> int:
    """Rebuild the rollup rows of the hours in ``[lo, hi)`` from assembled calls; return rows written.

    ``lo`` and ``hi`` must be whole UTC hours."""
    conn.execute(_DELETE_HOURS, {"lo": lo, "hi": hi})
    result = conn.execute(_INSERT_HOURS, {"lo": lo, "hi": hi, "n": DIM_MAX_CHARS, "sources": list(TASK_SOURCES)})
    return int(result.rowcount or 0)
