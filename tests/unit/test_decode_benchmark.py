"""``python -m benchmarks.decode`` times every stage of the pipeline on the fixture requests."""

from __future__ import annotations

import os

from benchmarks.decode import STAGES, _measure
from benchmarks.payloads import FIXTURES_DIR


def test_each_stage_is_timed_per_span() -> None:
    url = os.environ.get("MODELMIX_TEST_DATABASE_URL")
    result = _measure(rounds=2, requests=1, spans_per_request=40, database_url=url, fixtures=FIXTURES_DIR)
    expected = set(STAGES) if url else set(STAGES) - {"encode"}
    assert set(result["us_per_span"]) == expected
    assert result["spans_per_round"] >= 40 and result["rounds"] == 2
    assert all(value >= 0 for value in result["us_per_span"].values())
    assert result["total_us_per_span"] > 0
