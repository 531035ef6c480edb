"""Candidate features: groups come from the whole window, details from the newest calls only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from modelmix.analytics.features import group_features
from modelmix.analytics.filters import Filters
from tests.analytics.factory import Seed

DAY = datetime(2026, 11, 3, tzinfo=UTC)
WINDOW = Filters(DAY, DAY + timedelta(days=1))


def test_a_group_older_than_the_sample_is_still_found_with_window_means(seed: Seed, engine: Engine) -> None:
    # early in the window: "legacy" on gpt-4o, 3 priced calls (100/10, 200/20, 600/30 tokens) and one
    # call without a cost; a retry (not a first attempt) that must not count.
    early = DAY + timedelta(hours=2)
    for n, (tokens_in, tokens_out) in enumerate([(100, 10), (200, 20), (600, 30)]):
        seed.call(trace_no=n, start=early + timedelta(minutes=n), model="gpt-4o", task="legacy",
                  input_tokens=tokens_in, output_tokens=tokens_out, cost="0.01")
    seed.call(trace_no=5, start=early, model="gpt-4o", task="legacy", input_tokens=900, cost=None)
    seed.call(trace_no=6, start=early, model="gpt-4o", task="legacy", input_tokens=5000, output_tokens=500,
              cost="0.5", escalation="explicit")
    # late: "fresh" on gpt-4o-mini, the only calls the one-row sample sees.
    late = DAY + timedelta(hours=20)
    for n in range(2):
        seed.call(trace_no=10 + n, start=late + timedelta(minutes=n), model="gpt-4o-mini", task="fresh",
                  input_tokens=50, output_tokens=5, cost="0.0001", finish_reason="stop")
    seed.commit()
    with engine.connect() as conn:
        groups = {(g.task, g.model): g for g in group_features(conn, WINDOW, cap=1)}
    assert set(groups) == {("legacy", "gpt-4o"), ("fresh", "gpt-4o-mini")}
    legacy = groups[("legacy", "gpt-4o")]
    assert legacy.calls == 4  # first attempts only, the unpriced one included
    assert legacy.mean_input_tokens == 300 and legacy.mean_output_tokens == 20  # over the 3 priced calls
    assert legacy.p90_input_tokens is None and not legacy.is_simple()  # no single call sampled
    assert legacy.provider == "openai"
    fresh = groups[("fresh", "gpt-4o-mini")]
    assert fresh.mean_input_tokens == 50 and fresh.p90_input_tokens == 50 and fresh.finish_known == 1
