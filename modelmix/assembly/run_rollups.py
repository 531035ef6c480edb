"""Task-run rollups: ``task_run_rollups_hourly`` and the daily run-cost histogram ``task_run_cost_days``.

Invariant: both are exactly the aggregate of ``task_runs`` — the hourly rollup by run start hour
(UTC) × service × environment × task × first model × escalation kind × escalated-from model ×
escalated-to model × verification, the histogram by start day (UTC) × service × environment × task
× cost bucket (``modelmix.cost_buckets``) over priced runs. Unknown dimensions are ``''``.

A batch changes them by its own difference only: ``stage_old_runs`` records the batch's runs as
they were (−1 each) before ``build_task_runs`` rewrites them, ``apply_run_delta`` adds them as they
are now (+1 each), and the net change per group is merged in — an unchanged trace nets to zero and
touches nothing. Groups left empty are deleted; a group driven impossible (negative counts, which
only a rollup built from other data can cause) gets its hour, or day, rebuilt from ``task_runs``.
``rebuild_run_hours`` rebuilds whole hours (after a reprice, and for ``recompute_hours``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, text

from modelmix.cost_buckets import bucket_sql

DIM_MAX_CHARS = 200

_DIMS = ("service", "environment", "task", "first_model", "escalation", "escalated_from_model",
         "escalated_to_model", "verification")
_DIM_LIST = ", ".join(_DIMS)

# A run as the rollups see it: normalized dimensions and the measures, from task_runs aliased t.
_RUN_SHAPE = f"""
    date_trunc('hour', t.start_time, 'UTC') AS hour, date_trunc('day', t.start_time, 'UTC') AS day,
    left(t.service, :n) AS service, left(coalesce(t.environment, ''), :n) AS environment,
    left(t.task, :n) AS task, left(coalesce(t.first_model, ''), :n) AS first_model,
    coalesce(t.escalation, '') AS escalation,
    left(coalesce(t.escalated_from_model, ''), :n) AS escalated_from_model,
    left(coalesce(t.escalated_to_model, ''), :n) AS escalated_to_model,
    coalesce(t.verification, '') AS verification,
    t.calls, t.errors, t.has_error, t.cost_usd, t.priced_cost_usd, t.unpriced_calls, t.escalation_cost_usd,
    CASE WHEN t.cost_usd IS NOT NULL THEN {bucket_sql('t.cost_usd')} END AS cost_bucket
"""

_CREATE_DELTA = """
CREATE TEMP TABLE IF NOT EXISTS asm_run_delta (
    sign integer NOT NULL, hour timestamptz NOT NULL, day timestamptz NOT NULL, service text NOT NULL,
    environment text NOT NULL, task text NOT NULL, first_model text NOT NULL, escalation text NOT NULL,
    escalated_from_model text NOT NULL, escalated_to_model text NOT NULL, verification text NOT NULL,
    calls bigint NOT NULL, errors bigint NOT NULL, has_error boolean NOT NULL, cost_usd numeric,
    priced_cost_usd numeric, unpriced_calls bigint NOT NULL, escalation_cost_usd numeric, cost_bucket integer
) ON COMMIT DELETE ROWS
"""

_STAGE = f"""
    INSERT INTO asm_run_delta
    SELECT :sign, {_RUN_SHAPE}
    FROM task_runs t
    WHERE t.trace_id IN (SELECT trace_id FROM asm_batch)
"""

# Measures of a set of runs, summed with their sign (``s``: +1 / −1, or 1 when rebuilding).
_MEASURE_EXPRS = (
    ("runs", "sum(s)"),
    ("calls", "sum(s * calls)"),
    ("errors", "sum(s * errors)"),
    ("error_runs", "coalesce(sum(s) FILTER (WHERE has_error), 0)"),
    ("priced_runs", "coalesce(sum(s) FILTER (WHERE cost_usd IS NOT NULL), 0)"),
    ("cost_usd", "coalesce(sum(s * cost_usd), 0)"),
    ("priced_cost_runs", "coalesce(sum(s) FILTER (WHERE priced_cost_usd IS NOT NULL), 0)"),
    ("priced_cost_usd", "coalesce(sum(s * priced_cost_usd), 0)"),
    ("unpriced_calls", "sum(s * unpriced_calls)"),
    ("escalation_cost_runs", "coalesce(sum(s) FILTER (WHERE escalation_cost_usd IS NOT NULL), 0)"),
    ("escalation_cost_usd", "coalesce(sum(s * escalation_cost_usd), 0)"),
)
_MEASURE_NAMES = tuple(name for name, _ in _MEASURE_EXPRS)
_MEASURES = ", ".join(f"{expr} AS {name}" for name, expr in _MEASURE_EXPRS)
_NET_CHANGE = f"ROW({', '.join(expr for _, expr in _MEASURE_EXPRS)})"
_COLUMNS = f"hour, {_DIM_LIST}, {', '.join(_MEASURE_NAMES)}"

_MERGE_ROLLUP = text(f"""
    INSERT INTO task_run_rollups_hourly AS r ({_COLUMNS})
    SELECT hour, {_DIM_LIST}, {_MEASURES}
    FROM (SELECT sign AS s, * FROM asm_run_delta) d
    GROUP BY hour, {_DIM_LIST}
    HAVING {_NET_CHANGE} IS DISTINCT FROM ROW({', '.join('0' for _ in _MEASURE_NAMES)})
    ON CONFLICT (hour, {_DIM_LIST}) DO UPDATE SET
        {', '.join(f'{m} = r.{m} + excluded.{m}' for m in _MEASURE_NAMES)}
""")

_TOUCHED_ROLLUPS = f"""
    (SELECT DISTINCT hour, {_DIM_LIST} FROM asm_run_delta) d
    WHERE r.hour = d.hour AND {' AND '.join(f'r.{c} = d.{c}' for c in _DIMS)}
"""
_BROKEN_HOURS = text(f"""
    SELECT DISTINCT r.hour FROM task_run_rollups_hourly r, {_TOUCHED_ROLLUPS}
      AND (r.runs < 0 OR r.calls < 0 OR r.errors < 0 OR r.error_runs < 0 OR r.error_runs > r.runs
           OR r.priced_runs < 0 OR r.priced_runs > r.runs OR r.priced_cost_runs < 0
           OR r.priced_cost_runs > r.runs OR r.unpriced_calls < 0 OR r.escalation_cost_runs < 0
           OR r.escalation_cost_runs > r.runs)
""")
_DELETE_EMPTY_ROLLUPS = text(f"DELETE FROM task_run_rollups_hourly r USING {_TOUCHED_ROLLUPS} AND r.runs = 0")

_MERGE_HISTOGRAM = text("""
    INSERT INTO task_run_cost_days AS h (day, service, environment, task, cost_bucket, runs)
    SELECT day, service, environment, task, cost_bucket, sum(sign)
    FROM asm_run_delta WHERE cost_bucket IS NOT NULL
    GROUP BY day, service, environment, task, cost_bucket
    HAVING sum(sign) <> 0
    ON CONFLICT (day, service, environment, task, cost_bucket) DO UPDATE SET runs = h.runs + excluded.runs
""")
_TOUCHED_DAYS = """
    (SELECT DISTINCT day, service, environment, task, cost_bucket FROM asm_run_delta
     WHERE cost_bucket IS NOT NULL) d
    WHERE h.day = d.day AND h.service = d.service AND h.environment = d.environment AND h.task = d.task
      AND h.cost_bucket = d.cost_bucket
"""
_BROKEN_DAYS = text(f"SELECT DISTINCT h.day FROM task_run_cost_days h, {_TOUCHED_DAYS} AND h.runs < 0")
_DELETE_EMPTY_DAYS = text(f"DELETE FROM task_run_cost_days h USING {_TOUCHED_DAYS} AND h.runs = 0")

_DELETE_HOURS = text("DELETE FROM task_run_rollups_hourly WHERE hour >= :lo AND hour < :hi")
_INSERT_HOURS = text(f"""
    INSERT INTO task_run_rollups_hourly ({_COLUMNS})
    SELECT hour, {_DIM_LIST}, {_MEASURES}
    FROM (SELECT 1 AS s, {_RUN_SHAPE} FROM task_runs t WHERE t.start_time >= :lo AND t.start_time < :hi) x
    GROUP BY hour, {_DIM_LIST}
""")
_DELETE_DAYS = text("DELETE FROM task_run_cost_days WHERE day >= :lo AND day < :hi")
_INSERT_DAYS = text(f"""
    INSERT INTO task_run_cost_days (day, service, environment, task, cost_bucket, runs)
    SELECT day, service, environment, task, cost_bucket, count(*)
    FROM (SELECT {_RUN_SHAPE} FROM task_runs t
          WHERE t.start_time >= :lo AND t.start_time < :hi AND t.cost_usd IS NOT NULL) x
    GROUP BY day, service, environment, task, cost_bucket
""")


def stage_old_runs(conn: Connection) -> None:
    """Record the claimed traces' runs as they are before this batch rewrites them (sign −1)."""
    conn.exec_driver_sql(_CREATE_DELTA)
    conn.execute(text(_STAGE), {"sign": -1, "n": DIM_MAX_CHARS})


def apply_run_delta(conn: Connection) -> None:
    """Add the batch's runs as they are now (sign +1) and merge the net change into both rollups."""
    conn.execute(text(_STAGE), {"sign": 1, "n": DIM_MAX_CHARS})
    conn.execute(_MERGE_ROLLUP)
    broken_hours = [h for (h,) in conn.execute(_BROKEN_HOURS)]
    conn.execute(_DELETE_EMPTY_ROLLUPS)
    conn.execute(_MERGE_HISTOGRAM)
    broken_days = [d for (d,) in conn.execute(_BROKEN_DAYS)]
    conn.execute(_DELETE_EMPTY_DAYS)
    for hour in broken_hours:
        _rebuild_rollup_hours(conn, hour, hour + timedelta(hours=1))
    for day in broken_days:
        _rebuild_days(conn, day, day + timedelta(days=1))


def _rebuild_rollup_hours(conn: Connection, lo: datetime, hi: datetime) -> int:
    conn.execute(_DELETE_HOURS, {"lo": lo, "hi": hi})
    return int(conn.execute(_INSERT_HOURS, {"lo": lo, "hi": hi, "n": DIM_MAX_CHARS}).rowcount or 0)


def _rebuild_days(conn: Connection, lo: datetime, hi: datetime) -> None:
    conn.execute(_DELETE_DAYS, {"lo": lo, "hi": hi})
    conn.execute(_INSERT_DAYS, {"lo": lo, "hi": hi, "n": DIM_MAX_CHARS})


def _day_floor(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def rebuild_run_hours(conn: Connection, lo: datetime, hi: datetime) -> int:
    """Rebuild the run rollup of the whole hours ``[lo, hi)`` and the histogram of every day they
    touch, from ``task_runs``; return the rollup rows written. ``lo`` and ``hi`` are UTC hours."""
    written = _rebuild_rollup_hours(conn, lo, hi)
    first_day, last_day = _day_floor(lo), _day_floor(hi - timedelta(microseconds=1))
    _rebuild_days(conn, first_day, last_day + timedelta(days=1))
    return written
