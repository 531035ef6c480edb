"""Percentiles read from the run-cost histogram stay within the documented 2.2% of the exact values."""

from __future__ import annotations

import math
import random

import pytest

from modelmix.cost_buckets import ZERO_BUCKET, percentiles


def exact_percentile(values: list[float], q: float) -> float:
    """``percentile_cont``: linear interpolation between the order statistics around q·(n−1)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def histogram_of(values: list[float]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for v in values:
        bucket = ZERO_BUCKET if v <= 0 else math.floor(math.log2(v) * 16)
        counts[bucket] = counts.get(bucket, 0) + 1
    return counts


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("n", [1, 2, 7, 150, 5000])
def test_percentiles_are_within_the_bucket_error(seed: int, n: int) -> None:
    rng = random.Random(seed * 1000 + n)
    values = [math.exp(rng.gauss(-6, 1.5)) for _ in range(n)]
    hist = histogram_of(values)
    for q, estimate in zip((0.5, 0.95), percentiles(hist, (0.5, 0.95)), strict=True):
        exact = exact_percentile(values, q)
        assert estimate is not None
        assert abs(estimate - exact) / exact <= 2 ** (1 / 16) - 1  # one bucket's width (4.4%) at worst
        if n >= 150:
            assert abs(estimate - exact) / exact <= 0.022  # the documented bound, for a real distribution


def test_free_runs_count_as_zero_and_an_empty_histogram_is_unknown() -> None:
    assert percentiles({ZERO_BUCKET: 3}, (0.5,)) == [0.0]
    assert percentiles({ZERO_BUCKET: 9, 0: 1}, (0.5,)) == [0.0]  # nine free runs, one at $1
    assert percentiles({}, (0.5, 0.95)) == [None, None]
    assert percentiles({5: 0}, (0.5,)) == [None]


@pytest.mark.parametrize("q", [-0.1, 1.5, float("nan")])
def test_a_quantile_outside_0_1_is_refused(q: float) -> None:
    with pytest.raises(ValueError):
        percentiles({0: 1}, (q,))
