"""``modelmix.analytics.dashboard_extra`` against the hand-specified dataset in ``tests.app.seeding``."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from modelmix.analytics import Filters
from modelmix.analytics.dashboard_extra import (
    data_extent,
    escalation_trend_by_task,
    known_models,
    mix_totals,
)
from tests.app.seeding import WEEK_START, seed_dataset

THIS_WEEK = Filters(WEEK_START, WEEK_START + timedelta(days=7))


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed_dataset(engine)
    return engine


def test_extent_of_an_empty_database(engine: Engine) -> None:
    extent = data_extent(engine)
    assert extent.empty
    assert (extent.calls, extent.first_call, extent.last_call, extent.task_runs) == (0, None, None, 0)


def test_extent_counts_every_stored_llm_call(seeded: Engine) -> None:
    extent = data_extent(seeded)
    assert not extent.empty
    assert extent.calls == 88 + 30
    assert extent.task_runs == 80 + 30
    assert extent.first_call == datetime(2026, 10, 26, 9, tzinfo=UTC)  # first call of the previous week
    assert extent.last_call == datetime(2026, 11, 7, 6, tzinfo=UTC)  # 40th classify call: 09:00 + 117 h


def test_known_models_with_their_tiers(seeded: Engine) -> None:
    assert known_models(seeded) == [("claude-sonnet-4-5", "frontier"), ("gpt-4o", "mid"), ("gpt-4o-mini", "small"),
                                    ("mystery-model", "")]


def test_mix_totals_by_model_in_calls(seeded: Engine) -> None:
    df = mix_totals(seeded, THIS_WEEK, "model", "calls")
    assert list(df["model"]) == ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "mystery-model"]
    assert list(df["value"]) == [46.0, 30.0, 10.0, 2.0]  # 40 classify + 6 escalation retries on gpt-4o
    assert list(df["share"]) == pytest.approx([46 / 88, 30 / 88, 10 / 88, 2 / 88])
    assert list(df["unpriced_calls"]) == [0, 0, 0, 2]


def test_mix_totals_in_cost_leave_unknown_cost_unknown(seeded: Engine) -> None:
    df = mix_totals(seeded, THIS_WEEK, "model", "cost").set_index("model")
    assert df.loc["gpt-4o", "value"] == pytest.approx(40 * 0.0035 + 6 * 0.005)
    assert df.loc["claude-sonnet-4-5", "value"] == pytest.approx(10 * 0.012)
    assert df.loc["gpt-4o-mini", "value"] == pytest.approx(30 * 0.0002)
    assert math.isnan(df.loc["mystery-model", "value"])  # unpriced: not $0
    assert df.loc["mystery-model", "share"] is None or math.isnan(df.loc["mystery-model", "share"])
    assert df.loc["gpt-4o", "share"] == pytest.approx(0.17 / 0.296)


def test_mix_totals_by_tier_in_tokens(seeded: Engine) -> None:
    df = mix_totals(seeded, THIS_WEEK, "tier", "tokens").set_index("tier")
    expected = {"frontier": 10 * 3200, "mid": 40 * 550 + 6 * 1000, "small": 30 * 500, "": 2 * 110}
    assert df["value"].to_dict() == {k: float(v) for k, v in expected.items()}
    assert df.loc["mid", "share"] == pytest.approx(28_000 / sum(expected.values()))


def test_mix_totals_of_a_window_starting_inside_an_hour(seeded: Engine) -> None:
    # 09:05 leaves out the first classify call (09:00) and the first answer-question call (09:10 is kept).
    window = Filters(WEEK_START + timedelta(hours=9, minutes=5), WEEK_START + timedelta(days=7))
    calls = mix_totals(seeded, window, "model", "calls").set_index("model")["value"].to_dict()
    assert calls == {"gpt-4o": 45.0, "gpt-4o-mini": 30.0, "claude-sonnet-4-5": 10.0, "mystery-model": 2.0}


def test_mix_totals_rejects_unknown_dimensions(seeded: Engine) -> None:
    with pytest.raises(ValueError, match="by must be one of"):
        mix_totals(seeded, THIS_WEEK, "model; DROP TABLE llm_calls", "calls")
    with pytest.raises(ValueError, match="measure must be one of"):
        mix_totals(seeded, THIS_WEEK, "model", "dollars")


def test_escalation_trend_per_task_and_day(seeded: Engine) -> None:
    df = escalation_trend_by_task(seeded, THIS_WEEK, "day")
    answer = df[df["task"] == "answer-question"]
    # Runs every 4 h from 09:10 on Nov 2; runs 0, 5, 10, 15, 20 and 25 escalated.
    assert list(answer["runs"]) == [4, 6, 6, 6, 6, 2]
    assert list(answer["escalated_runs"]) == [1, 1, 2, 1, 1, 0]
    assert list(answer["explicit_runs"]) == [1, 1, 2, 1, 1, 0]
    assert list(answer["inferred_runs"]) == [0] * 6
    assert list(answer["rate"]) == pytest.approx([1 / 4, 1 / 6, 2 / 6, 1 / 6, 1 / 6, 0.0])
    assert set(df[df["task"] == "classify-ticket"]["escalated_runs"]) == {0}
    with pytest.raises(ValueError, match="bucket must be one of"):
        escalation_trend_by_task(seeded, THIS_WEEK, "minute")  # type: ignore[arg-type]


def test_the_csv_behind_the_download_button(seeded: Engine, db_url: str) -> None:
    import csv
    import io

    from app.data import Db, calls_csv

    text = calls_csv(Db(db_url, 15_000), THIS_WEEK, None, None, "mystery", 100)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    assert {r["canonical_model"] for r in rows} == {"mystery-model"}
    assert {r["cost_usd"] for r in rows} == {""}  # unknown cost is empty, not 0
    assert not {"attributes", "prompt", "completion", "content"} & set(rows[0])
    everything = calls_csv(Db(db_url, 15_000), THIS_WEEK, None, None, None, 1_000)
    assert len(list(csv.DictReader(io.StringIO(everything)))) == 88
