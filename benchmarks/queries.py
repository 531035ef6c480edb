"""Query benchmark: every dashboard, review and report read over generated history, cold and warm.

A dedicated database gets ``scale`` x 10 million calls over ``days`` days (``benchmarks.datagen``),
with task runs and hourly rollups. Each ``QueryCase`` then runs for the dashboard windows of the
last 7, 30 and 90 days: the first execution is reported as *first* (a new connection, the query's
data not yet touched by this benchmark — PostgreSQL's and the OS's caches are not dropped, so this
is "cold" only as far as a shared server allows), then ``repeat`` warm executions give the median
and p95. ``modelmix report`` is also timed as the command a user runs (a new process). Storage
(``benchmarks.storage``) is measured on the same database before it is dropped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import psycopg

from benchmarks.datagen import generate
from benchmarks.environment import bench_database
from benchmarks.query_suite import CASES, Probe, QueryCase, dashboard_window
from benchmarks.storage import measure_storage
from modelmix.db.engine import libpq_url, make_engine, sqlalchemy_url
from modelmix.settings import Settings

FULL_SCALE_CALLS = 10_000_000
TREND_TASKS = 6  # app/views/tasks.py: the trend chart draws this many tasks
WINDOWS_DAYS = (7, 30, 90)
QUERY_GOAL_S = 1.0
REVIEW_GOAL_S = 5.0
REPORT_GOAL_S = 2.0


def p95(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def find_probe(url: str) -> Probe:
    """The busiest task of the last week, one of its traces, and its most used model."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT task, canonical_model FROM call_rollups_hourly WHERE hour >= now() - interval '7 days' "
            "AND call_kind = 'llm' GROUP BY 1, 2 ORDER BY sum(calls) DESC LIMIT 1").fetchone()
        if row is None:
            raise RuntimeError("the generated data has no rollups for the last week")
        trace = conn.execute("SELECT trace_id FROM task_runs WHERE task = %s ORDER BY start_time DESC LIMIT 1",
                             (row[0],)).fetchone()
        top = conn.execute(
            "SELECT task FROM call_rollups_hourly WHERE hour >= now() - interval '7 days' GROUP BY task "
            "ORDER BY sum(cost_usd) DESC NULLS LAST LIMIT %s", (TREND_TASKS,)).fetchall()
    assert trace is not None
    return Probe(task=row[0], trace_id=bytes(trace[0]).hex(), candidate_model=row[1],
                 top_tasks=tuple(t for (t,) in top))


def time_case(engine: Any, case: QueryCase, days: int, probe: Probe, repeat: int) -> dict[str, Any]:
    filters = dashboard_window(days)
    times: list[float] = []
    error: str | None = None
    for _ in range(1 + repeat):
        started = time.perf_counter()
        try:
            case.run(engine, filters, probe)
        except Exception as exc:  # a timeout or failure is a result, not a crash of the benchmark
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            break
        times.append(time.perf_counter() - started)
    warm = times[1:] or times
    return {"query": case.name, "used_by": case.used_by, "window_days": days if case.windowed else None,
            "first_s": times[0] if times else None,
            "warm_median_s": statistics.median(warm) if warm else None,
            "warm_p95_s": p95(warm) if warm else None, "runs": len(times), "error": error}


def time_report_command(url: str, repeat: int) -> dict[str, Any]:
    """``modelmix report`` for the last 7 days as its own process (start-up, assembly check, queries)."""
    window = dashboard_window(7)
    argv = [sys.executable, "-m", "modelmix", "report", "--format", "json",
            "--since", window.since.isoformat(), "--until", window.until.isoformat()]
    env = {**os.environ, "MODELMIX_DATABASE_URL": url, "MODELMIX_LOG_LEVEL": "WARNING"}
    times: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            return {"error": done.stderr.strip()[-500:], "runs": len(times)}
        times.append(elapsed)
    return {"first_s": times[0], "warm_median_s": statistics.median(times[1:] or times),
            "warm_p95_s": p95(times[1:] or times), "runs": len(times), "error": None}


def run_suite(url: str, repeat: int, windows: tuple[int, ...] = WINDOWS_DAYS,
              names: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    unknown = set(names) - {case.name for case in CASES}
    if unknown:
        raise SystemExit(f"unknown query case(s): {', '.join(sorted(unknown))}")
    engine = make_engine(sqlalchemy_url(url), statement_timeout_ms=Settings().query_timeout_ms)
    probe = find_probe(url)
    results: list[dict[str, Any]] = []
    try:
        for days in windows:
            for case in CASES:
                if names and case.name not in names:
                    continue
                if case.windowed or days == windows[0]:
                    results.append(time_case(engine, case, days, probe, repeat))
    finally:
        engine.dispose()
    return results


def describe_existing(url: str) -> dict[str, Any]:
    """What a previously generated database holds (for ``--use-database``)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT (SELECT count(*) FROM llm_calls), (SELECT count(*) FROM task_runs), "
                           "(SELECT count(*) FROM call_rollups_hourly), (SELECT min(start_time) FROM llm_calls), "
                           "(SELECT max(start_time) FROM llm_calls)").fetchone()
    assert row is not None
    return {"calls": int(row[0]), "task_runs": int(row[1]), "rollup_rows": int(row[2]),
            "since": row[3].isoformat() if row[3] else "", "until": row[4].isoformat() if row[4] else "",
            "copy_seconds": float("nan"), "vacuum_seconds": float("nan"), "rollup_seconds": float("nan"),
            "reused": True}


@contextmanager
def _database(args: argparse.Namespace) -> Iterator[tuple[str, dict[str, Any]]]:
    if args.use_database:
        url = libpq_url(args.use_database)
        yield url, describe_existing(url)
        return
    calls = max(1000, int(FULL_SCALE_CALLS * args.scale))
    with bench_database(args.server_url, "queries", keep=args.keep_database) as url:
        if args.keep_database:
            print(f"generating into {url} (kept afterwards)", file=sys.stderr, flush=True)
        generated = generate(url, calls=calls, days=args.days)
        yield url, {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(generated).items()}


def run_queries_and_storage(args: argparse.Namespace, *, queries: bool, storage: bool
                            ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    results: dict[str, Any] = {}
    with _database(args) as (url, data):
        if queries:
            names = tuple(n.strip() for n in getattr(args, "cases", "").split(",") if n.strip())
            suite = run_suite(url, args.repeat, names=names)
            command = (time_report_command(url, max(3, args.repeat // 2))
                       if not names or "report_week" in names else None)
            results["queries"] = {"data": data, "cases": suite, "report_command": command,
                                  "goals_s": {"query_p95": QUERY_GOAL_S, "weekly_review": REVIEW_GOAL_S,
                                              "report_week": REPORT_GOAL_S}}
        if storage:
            results["storage"] = {"data": data, **measure_storage(url)}
    return results, metrics(results)


def metrics(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if "queries" in results:
        for case in results["queries"]["cases"]:
            if case["warm_p95_s"] is None:
                continue
            window = f"{case['window_days']}d" if case["window_days"] else "any"
            out[f"query.{case['query']}.{window}.p95_s"] = {"value": case["warm_p95_s"], "unit": "s",
                                                            "better": "lower"}
        command = results["queries"]["report_command"] or {}
        if command.get("warm_median_s") is not None:
            out["query.report_command.7d.median_s"] = {"value": command["warm_median_s"], "unit": "s",
                                                      "better": "lower"}
    if "storage" in results:
        storage = results["storage"]
        out["storage.bytes_per_call"] = {"value": storage["bytes_per_call"], "unit": "bytes", "better": "lower"}
        out["storage.bytes_per_call_all_tables"] = {"value": storage["bytes_per_call_all_tables"],
                                                    "unit": "bytes", "better": "lower"}
    return out
