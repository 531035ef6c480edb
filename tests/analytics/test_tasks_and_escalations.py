"""Cost per task (mean / p50 / p95 of run cost) and escalation rates, against hand-computed numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from modelmix.analytics import (
    FilterError,
    Filters,
    escalation_trend,
    escalations,
    run_calls,
    task_cost_trend,
    task_costs,
    task_runs,
)
from tests.analytics.factory import Seed

DAY = datetime(2026, 11, 3, tzinfo=UTC)
WINDOW = Filters(DAY, DAY + timedelta(days=2))


def _seed_runs(seed: Seed) -> None:
    t = DAY + timedelta(hours=8)
    # classify: five priced runs costing 0.01, 0.02, 0.03, 0.04, 0.10 and one partly unpriced run.
    for n, (cost, calls) in enumerate([("0.01", 1), ("0.02", 1), ("0.03", 2), ("0.04", 1), ("0.10", 3)]):
        seed.run(trace_no=n, start=t + timedelta(minutes=n), task="classify", cost=cost, calls=calls,
                 first_model="gpt-4o-mini")
    seed.run(trace_no=9, start=t, task="classify", cost=None, priced_cost="0.005", calls=2, unpriced_calls=1,
             first_model="gpt-4o-mini")
    # summarize: runs on a second day, one of them on another service.
    seed.run(trace_no=20, start=t + timedelta(days=1), task="summarize", cost="0.50", first_model="claude-haiku")
    seed.run(trace_no=21, start=t + timedelta(days=1), task="summarize", cost="0.70", service="batch",
             first_model="claude-haiku")
    seed.commit()


def test_task_costs_distribution(seed: Seed, engine: Engine) -> None:
    _seed_runs(seed)
    costs = task_costs(engine, WINDOW).set_index("task")
    classify = costs.loc["classify"]
    assert classify["runs"] == 6 and classify["priced_runs"] == 5 and classify["unpriced_runs"] == 1
    assert classify["calls"] == 10 and classify["calls_per_run"] == pytest.approx(10 / 6)
    assert classify["cost_per_run_mean"] == pytest.approx(0.04)
    assert classify["cost_per_run_p50"] == pytest.approx(0.03)
    # p95 (linear): position 0.95 x 4 = 3.8 -> 0.04 + 0.8 x (0.10 - 0.04) = 0.088
    assert classify["cost_per_run_p95"] == pytest.approx(0.088)
    assert classify["spend_usd"] == pytest.approx(0.20)
    assert classify["priced_spend_usd"] == pytest.approx(0.205)  # the unpriced run's priced part counts
    summarize = costs.loc["summarize"]
    assert summarize["cost_per_run_p50"] == pytest.approx(0.60)
    assert list(costs.index) == ["summarize", "classify"]  # largest spend first
    assert summarize["share_spend"] == pytest.approx(1.2 / 1.405)


def test_task_costs_filtered_by_service_and_task(seed: Seed, engine: Engine) -> None:
    _seed_runs(seed)
    only_batch = task_costs(engine, Filters(WINDOW.since, WINDOW.until, services=("batch",)))
    assert list(only_batch["task"]) == ["summarize"] and list(only_batch["runs"]) == [1]
    only_classify = task_costs(engine, WINDOW.with_tasks("classify"))
    assert list(only_classify["task"]) == ["classify"]


def test_task_cost_trend_by_day(seed: Seed, engine: Engine) -> None:
    _seed_runs(seed)
    trend = task_cost_trend(engine, WINDOW, bucket="day")
    assert list(zip(trend["bucket"], trend["task"], trend["runs"], strict=True)) == [
        (DAY, "classify", 6), (DAY + timedelta(days=1), "summarize", 2)]


def test_task_runs_page_and_run_calls(seed: Seed, engine: Engine) -> None:
    t = DAY + timedelta(hours=8)
    seed.call(trace_no=7, start=t, model="gpt-4o-mini", task="classify", cost="0.001")
    seed.call(trace_no=7, start=t + timedelta(seconds=1), model="gpt-4o", task="classify", cost="0.01",
              escalation="inferred")
    seed.run(trace_no=7, start=t, task="classify", calls=2, cost="0.011", first_model="gpt-4o-mini",
             final_model="gpt-4o", escalation="inferred", escalated_from="gpt-4o-mini", escalated_to="gpt-4o")
    seed.run(trace_no=8, start=t + timedelta(minutes=1), task="classify")
    seed.commit()
    page = task_runs(engine, WINDOW, "classify", limit=1)
    assert list(page["trace_id"]) == [(8).to_bytes(16, "big").hex()]  # newest first
    second = task_runs(engine, WINDOW, "classify", limit=1, offset=1)
    assert second.iloc[0]["escalation"] == "inferred"
    calls = run_calls(engine, second.iloc[0]["trace_id"])
    assert list(calls["canonical_model"]) == ["gpt-4o-mini", "gpt-4o"]
    assert list(calls["cost_usd"]) == pytest.approx([0.001, 0.01])
    with pytest.raises(FilterError):
        run_calls(engine, "not-a-trace-id'; --")
    with pytest.raises(FilterError):
        task_runs(engine, WINDOW, "classify", limit=0)


def _seed_escalations(seed: Seed) -> None:
    t = DAY + timedelta(hours=8)
    for n in range(10):  # classify: 10 runs started on mini, 2 explicit + 1 inferred escalations to gpt-4o
        kind = "explicit" if n < 2 else "inferred" if n == 2 else None
        seed.run(trace_no=n, start=t + timedelta(minutes=n), task="classify", first_model="gpt-4o-mini",
                 escalation=kind, escalated_from="gpt-4o-mini" if kind else None,
                 escalated_to="gpt-4o" if kind else None, escalation_cost="0.002" if kind else None)
    for n in range(4):  # summarize (next day): 4 runs on haiku, 1 inferred escalation to sonnet, 1 failed check
        kind = "inferred" if n == 0 else None
        seed.run(trace_no=100 + n, start=t + timedelta(days=1, minutes=n), task="summarize",
                 first_model="claude-haiku", escalation=kind, escalated_from="claude-haiku" if kind else None,
                 escalated_to="claude-sonnet" if kind else None, escalation_cost="0.03" if kind else None,
                 verification="fail" if n == 1 else "pass")
    seed.commit()


def test_escalation_rate_per_task_and_pair(seed: Seed, engine: Engine) -> None:
    _seed_escalations(seed)
    esc = escalations(engine, WINDOW)
    assert (esc.runs, esc.escalated_runs, esc.explicit_runs, esc.inferred_runs) == (14, 4, 2, 2)
    assert esc.rate == pytest.approx(4 / 14)
    by_task = esc.by_task.set_index("task")
    assert by_task.loc["classify", "escalation_rate"] == pytest.approx(0.3)
    assert by_task.loc["classify", "explicit_rate"] == pytest.approx(0.2)
    assert by_task.loc["classify", "inferred_rate"] == pytest.approx(0.1)
    assert by_task.loc["classify", "escalation_cost_usd"] == pytest.approx(0.006)
    assert by_task.loc["summarize", "escalation_rate"] == pytest.approx(0.25)
    assert by_task.loc["summarize", "failed_verifications"] == 1
    pairs = esc.by_pair.set_index(["from_model", "to_model"])
    assert pairs.loc[("gpt-4o-mini", "gpt-4o"), "escalated_runs"] == 3
    assert pairs.loc[("gpt-4o-mini", "gpt-4o"), "runs_started_on_from"] == 10
    assert pairs.loc[("gpt-4o-mini", "gpt-4o"), "rate"] == pytest.approx(0.3)
    assert pairs.loc[("claude-haiku", "claude-sonnet"), "rate"] == pytest.approx(0.25)


def test_escalation_trend(seed: Seed, engine: Engine) -> None:
    _seed_escalations(seed)
    trend = escalation_trend(engine, WINDOW, bucket="day")
    assert list(trend["rate"]) == pytest.approx([0.3, 0.25])
    assert list(trend["explicit_runs"]) == [2, 0]


def test_escalations_in_an_empty_window(engine: Engine) -> None:
    esc = escalations(engine, WINDOW)
    assert esc.runs == 0 and esc.rate is None and esc.by_task.empty and esc.by_pair.empty
