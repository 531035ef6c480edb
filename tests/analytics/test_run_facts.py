"""Run totals and cost percentiles over ragged windows equal a plain computation over the seeded runs.

Windows start and end inside hours and days, so every answer mixes rollup hours / histogram days
with raw edge rows; the histogram path (forced with ``exact_limit=0``) must stay within the
documented 2.2% of the exact percentiles, the exact path must match them.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from modelmix.analytics.filters import Filters
from modelmix.analytics.run_facts import run_cost_percentiles, run_totals
from tests.analytics.factory import Seed

START = datetime(2026, 11, 2, tzinfo=UTC)
WINDOWS = [
    Filters(START + timedelta(hours=3, minutes=17), START + timedelta(days=2, hours=5, minutes=3)),
    Filters(START + timedelta(days=1), START + timedelta(days=3)),  # whole days only
    Filters(START + timedelta(hours=30, minutes=1), START + timedelta(hours=30, minutes=59)),  # inside an hour
    Filters(START, START + timedelta(days=4), tasks=("b",), environments=("",)),
]


def _seed(seed: Seed) -> list[dict[str, Any]]:
    rng = random.Random(4)
    for n in range(600):
        kind = rng.choice([None, None, None, "explicit", "inferred"])
        seed.run(trace_no=n, start=START + timedelta(seconds=rng.randint(0, 4 * 86_400 - 1)),
                 task=rng.choice(["a", "b", "c"]), environment=rng.choice(["prod", None]),
                 cost=None if rng.random() < 0.1 else Decimal(rng.randint(1, 10**6)) / 10**7,
                 calls=rng.randint(1, 4), errors=rng.choice([0, 0, 0, 1]),
                 first_model=rng.choice(["gpt-4o-mini", "gpt-4o"]), escalation=kind,
                 escalated_from="gpt-4o-mini" if kind else None, escalated_to="gpt-4o" if kind else None,
                 escalation_cost=(Decimal(rng.randint(1, 999)) / 10**5) if kind else None,
                 verification=rng.choice([None, "pass", "fail"]))
    runs = list(seed.runs)
    seed.commit()
    return runs


def _inside(run: dict[str, Any], f: Filters) -> bool:
    return (f.since <= run["start_time"] < f.until and (not f.tasks or run["task"] in f.tasks)
            and (not f.environments or (run["environment"] or "") in f.environments))


def _exact(values: list[Decimal], q: float) -> float:
    ordered = sorted(float(v) for v in values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@pytest.mark.parametrize("window", WINDOWS, ids=["ragged", "whole-days", "inside-an-hour", "filtered"])
def test_run_totals_match_the_runs(seed: Seed, engine: Engine, window: Filters) -> None:
    runs = [r for r in _seed(seed) if _inside(r, window)]
    expected: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {
        "runs": 0, "calls": 0, "errors": 0, "error_runs": 0, "priced_runs": 0, "cost": Decimal(0),
        "escalation_cost": Decimal(0), "fail": 0})
    for r in runs:
        e = expected[(r["task"], r["escalation"] or "")]
        e["runs"] += 1
        e["calls"] += r["calls"]
        e["errors"] += r["errors"]
        e["error_runs"] += int(r["has_error"])
        if r["cost_usd"] is not None:
            e["priced_runs"] += 1
            e["cost"] += r["cost_usd"]
        e["escalation_cost"] += r["escalation_cost_usd"] or 0
    with engine.connect() as conn:
        got = run_totals(conn, window, ("task", "escalation"))
    assert {(g["task"], g["escalation"]): (g["runs"], g["calls"], g["errors"], g["error_runs"], g["priced_runs"],
                                           g["cost_usd"] or Decimal(0), g["escalation_cost_usd"] or Decimal(0))
            for g in got} == {k: (v["runs"], v["calls"], v["errors"], v["error_runs"], v["priced_runs"],
                                  v["cost"], v["escalation_cost"]) for k, v in expected.items()}


@pytest.mark.parametrize("window", WINDOWS, ids=["ragged", "whole-days", "inside-an-hour", "filtered"])
@pytest.mark.parametrize("bucket", [None, "day"])
def test_cost_percentiles_exact_and_from_the_histogram(seed: Seed, engine: Engine, window: Filters,
                                                       bucket: str | None) -> None:
    runs = [r for r in _seed(seed) if _inside(r, window) and r["cost_usd"] is not None]
    costs: dict[tuple[Any, ...], list[Decimal]] = defaultdict(list)
    for r in runs:
        day = r["start_time"].replace(hour=0, minute=0, second=0, microsecond=0)
        costs[((day,) if bucket else ()) + (r["task"],)].append(r["cost_usd"])
    with engine.connect() as conn:
        exact = run_cost_percentiles(conn, window, ("task",), bucket=bucket, priced_runs=len(runs))  # type: ignore[arg-type]
        estimated = run_cost_percentiles(conn, window, ("task",), bucket=bucket,  # type: ignore[arg-type]
                                         priced_runs=len(runs), exact_limit=0)
    assert set(exact) == set(estimated) == set(costs)
    for key, values in costs.items():
        truth = (_exact(values, 0.5), _exact(values, 0.95))
        assert exact[key] == pytest.approx(truth, rel=1e-9)
        bound = 0.022 if len(values) >= 100 else 2 ** (1 / 16) - 1  # few runs: one bucket's width
        assert estimated[key] == pytest.approx(truth, rel=bound)
