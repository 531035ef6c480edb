"""Overview totals, week-over-week change, frontier share and model mix against hand-computed numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from modelmix.analytics import (
    Filters,
    frontier_share_series,
    model_mix_breakdown,
    model_mix_series,
    model_totals,
    overview,
)
from tests.analytics.factory import Seed

WEEK = datetime(2026, 11, 2, tzinfo=UTC)  # Monday
THIS_WEEK = Filters(WEEK, WEEK + timedelta(days=7))


def _seed_two_weeks(seed: Seed) -> None:
    t = WEEK + timedelta(hours=9)
    # This week, service "api": 5 mini calls at $0.001 (one failed, unpriced and without tokens),
    # 3 gpt-4o calls at $0.01, 1 call to an unknown model (unpriced).
    for i in range(4):
        seed.call(trace_no=i, start=t + timedelta(minutes=i), model="gpt-4o-mini", service="api",
                  input_tokens=100, output_tokens=10, cost="0.001")
    seed.call(trace_no=4, start=t + timedelta(minutes=5), model="gpt-4o-mini", service="api", status="error",
              input_tokens=None, output_tokens=None, cost=None)
    for i in range(3):
        seed.call(trace_no=10 + i, start=t + timedelta(days=1, minutes=i), model="gpt-4o", task="summarize",
                  service="api", input_tokens=1000, output_tokens=100, cache_read_tokens=200, cost="0.01")
    seed.call(trace_no=20, start=t + timedelta(days=2), model="mystery-model", provider="acme", service="api",
              input_tokens=50, output_tokens=5, cost=None)
    # This week, service "batch": 2 mini calls at $0.001, plus one embedding call (not an LLM call).
    for i in range(2):
        seed.call(trace_no=30 + i, start=t + timedelta(days=3, minutes=i), model="gpt-4o-mini", service="batch",
                  input_tokens=100, output_tokens=10, cost="0.001")
    seed.call(trace_no=40, start=t + timedelta(days=3), model="text-embedding-3-small", call_kind="embedding",
              service="batch", input_tokens=30, output_tokens=None, cost="0.0000006")
    # Previous week: 4 mini calls at $0.001 and 1 gpt-4o call at $0.01.
    p = t - timedelta(days=7)
    for i in range(4):
        seed.call(trace_no=50 + i, start=p + timedelta(minutes=i), model="gpt-4o-mini", service="api",
                  input_tokens=100, output_tokens=10, cost="0.001")
    seed.call(trace_no=60, start=p + timedelta(hours=1), model="gpt-4o", task="summarize", service="api",
              input_tokens=1000, output_tokens=100, cost="0.01")
    # Task runs: 8 this week (one escalated), 3 last week.
    for n in range(8):
        seed.run(trace_no=100 + n, start=t + timedelta(minutes=n), escalation="inferred" if n == 0 else None,
                 escalated_from="gpt-4o-mini" if n == 0 else None, escalated_to="gpt-4o" if n == 0 else None)
    for n in range(3):
        seed.run(trace_no=200 + n, start=p + timedelta(minutes=n))
    seed.commit()


def test_overview_totals_and_week_over_week(seed: Seed, engine: Engine) -> None:
    _seed_two_weeks(seed)
    ov = overview(engine, THIS_WEEK)
    now, before = ov.current, ov.previous
    # 5 + 3 + 1 + 2 = 11 LLM calls; embeddings counted apart.
    assert now.calls == 11
    assert now.embedding_calls == 1
    assert now.errors == 1
    # Known spend: 6 mini calls priced at 0.001 (the failed one is unpriced) + 3 x 0.01.
    assert now.cost_usd == Decimal("0.036")
    assert now.unpriced_calls == 2  # the failed mini call and the unknown model, never $0
    assert now.calls_missing_tokens == 1
    assert now.input_tokens == 6 * 100 + 3 * 1000 + 50
    assert now.output_tokens == 6 * 10 + 3 * 100 + 5
    assert now.cached_input_tokens == 3 * 200
    assert now.frontier_calls == 3
    assert now.frontier_share_calls == pytest.approx(3 / 11)
    assert now.frontier_share_cost == pytest.approx(0.03 / 0.036)
    assert now.task_runs == 8 and now.escalated_runs == 1
    assert now.escalation_rate == pytest.approx(1 / 8)
    assert before.calls == 5 and before.cost_usd == Decimal("0.014") and before.task_runs == 3
    assert before.frontier_share_calls == pytest.approx(1 / 5)
    assert ov.change("calls") == pytest.approx(11 / 5 - 1)
    assert ov.change("cost_usd") == pytest.approx(0.036 / 0.014 - 1)
    assert ov.avoidable_spend_usd is None


def test_overview_of_an_empty_window_is_zero_not_unknown(engine: Engine) -> None:
    ov = overview(engine, THIS_WEEK)
    assert ov.current.calls == 0
    assert ov.current.cost_usd == Decimal(0)
    assert ov.current.frontier_share_calls is None
    assert ov.change("calls") is None


def test_service_filter(seed: Seed, engine: Engine) -> None:
    _seed_two_weeks(seed)
    batch = overview(engine, Filters(THIS_WEEK.since, THIS_WEEK.until, services=("batch",))).current
    assert (batch.calls, batch.cost_usd, batch.embedding_calls) == (2, Decimal("0.002"), 1)


def test_model_totals_shares(seed: Seed, engine: Engine) -> None:
    _seed_two_weeks(seed)
    models = {m.model: m for m in model_totals(engine, THIS_WEEK)}
    assert set(models) == {"gpt-4o-mini", "gpt-4o", "mystery-model"}
    mini, big, unknown = models["gpt-4o-mini"], models["gpt-4o"], models["mystery-model"]
    assert (mini.calls, mini.errors, mini.unpriced_calls, mini.tier) == (7, 1, 1, "small")
    assert mini.cost_usd == Decimal("0.006")
    assert mini.share_calls == pytest.approx(7 / 11)
    assert mini.share_cost == pytest.approx(0.006 / 0.036)
    assert big.share_cost == pytest.approx(0.03 / 0.036) and big.tier == "frontier"
    assert big.cached_input_tokens == 600
    assert unknown.cost_usd is None and unknown.unpriced_calls == 1 and unknown.share_cost is None
    # Largest spend first.
    assert [m.model for m in model_totals(engine, THIS_WEEK)][0] == "gpt-4o"


def test_model_mix_series_by_day(seed: Seed, engine: Engine) -> None:
    _seed_two_weeks(seed)
    series = model_mix_series(engine, THIS_WEEK, bucket="day", by="tier", measure="calls")
    day1 = series[series["bucket"] == WEEK]
    assert dict(zip(day1["tier"], day1["value"], strict=True)) == {"small": 5.0}
    day2 = series[series["bucket"] == WEEK + timedelta(days=1)]
    assert dict(zip(day2["tier"], day2["share"], strict=True)) == {"frontier": 1.0}
    cost = model_mix_series(engine, THIS_WEEK, bucket="week", by="model", measure="cost")
    by_model = dict(zip(cost["model"], cost["share"], strict=True))
    assert by_model["gpt-4o"] == pytest.approx(0.03 / 0.036)
    assert by_model["mystery-model"] == 0.0
    assert int(cost.loc[cost["model"] == "mystery-model", "unpriced_calls"].iloc[0]) == 1


def test_model_mix_breakdown_by_service(seed: Seed, engine: Engine) -> None:
    _seed_two_weeks(seed)
    mix = model_mix_breakdown(engine, THIS_WEEK, by="model", split="service", measure="calls")
    api = mix[mix["service"] == "api"].set_index("model")["share"].to_dict()
    assert api == pytest.approx({"gpt-4o-mini": 5 / 9, "gpt-4o": 3 / 9, "mystery-model": 1 / 9})
    batch = mix[mix["service"] == "batch"].set_index("model")["share"].to_dict()
    assert batch == {"gpt-4o-mini": 1.0}


def test_frontier_share_series(seed: Seed, engine: Engine) -> None:
    _seed_two_weeks(seed)
    weekly = frontier_share_series(engine, Filters(WEEK - timedelta(days=7), WEEK + timedelta(days=7)),
                                   bucket="week")
    assert list(weekly["share"]) == pytest.approx([1 / 5, 3 / 11])


def test_window_inside_hours_reads_raw_edges_exactly(seed: Seed, engine: Engine) -> None:
    t = WEEK + timedelta(hours=9)
    for n, minutes in enumerate([10, 40, 80, 125, 140]):  # 09:10, 09:40, 10:20, 11:05, 11:20
        seed.call(trace_no=n, start=t + timedelta(minutes=minutes), model="gpt-4o", cost="0.01")
    seed.commit()
    window = Filters(t + timedelta(minutes=30), t + timedelta(hours=2, minutes=15))
    totals = overview(engine, window).current
    assert totals.calls == 3  # 09:40 (raw edge), 10:20 (rollup hour), 11:05 (raw edge)
    assert totals.cost_usd == Decimal("0.03")
    assert totals.frontier_calls == 3  # raw edge rows take their tier from the same hour's rollup
    inside_one_hour = overview(engine, Filters(t + timedelta(minutes=5), t + timedelta(minutes=45))).current
    assert inside_one_hour.calls == 2


def test_sql_metacharacters_in_filter_values_change_nothing(seed: Seed, engine: Engine) -> None:
    _seed_two_weeks(seed)
    hostile = ("api' OR '1'='1", "x%", "_", "'; DROP TABLE llm_calls; --")
    totals = overview(engine, Filters(THIS_WEEK.since, THIS_WEEK.until, services=hostile,
                                      tasks=hostile, environments=hostile)).current
    assert totals.calls == 0 and totals.task_runs == 0
    assert overview(engine, THIS_WEEK).current.calls == 11  # the table is intact
