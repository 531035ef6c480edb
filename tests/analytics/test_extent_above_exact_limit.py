"""``data_extent`` past ``EXACT_COUNT_LIMIT``: counts from the rollups and the row estimate, never a full scan.

The limit is lowered for the test so a handful of seeded rows crosses it; the expected counts are the
seeded numbers themselves.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from modelmix.analytics import dashboard_extra
from tests.analytics.factory import T0, Seed


def _seed(seed: Seed, calls: int) -> None:
    for n in range(calls):
        seed.call(trace_no=n + 1, start=T0 + timedelta(minutes=n), model="gpt-4o")
        seed.run(trace_no=n + 1, start=T0 + timedelta(minutes=n), first_model="gpt-4o")
    seed.call(trace_no=999, start=T0 + timedelta(hours=3), model="text-embedding-3-small", call_kind="embedding")
    seed.commit()


@pytest.mark.parametrize("limit", [3, 10])
def test_above_the_limit_counts_come_from_rollups_and_the_estimate(seed: Seed, limit: int,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(seed, 8)
    with seed.engine.begin() as conn:
        conn.execute(text("ANALYZE task_runs"))
    monkeypatch.setattr(dashboard_extra, "EXACT_COUNT_LIMIT", limit)
    extent = dashboard_extra.data_extent(seed.engine)
    assert extent.calls == 8  # the seeded rollups hold every LLM call, embeddings excluded
    assert extent.task_runs == 8
    assert extent.first_call == T0 and extent.last_call == T0 + timedelta(minutes=7)
    assert not extent.empty


def test_raw_calls_missing_from_the_rollups_still_count_up_to_the_limit(seed: Seed,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(seed, 5)
    with seed.engine.begin() as conn:
        conn.execute(text("DELETE FROM call_rollups_hourly"))  # nothing assembled yet
    monkeypatch.setattr(dashboard_extra, "EXACT_COUNT_LIMIT", 3)
    extent = dashboard_extra.data_extent(seed.engine)
    assert extent.calls == 4  # at least limit + 1: "more than the limit", never less than counted
    assert not extent.empty
