"""Log-spaced buckets for run cost: the daily histogram behind cost-per-run percentiles.

A priced run's cost ``c`` (USD) falls in bucket ``floor(16 · log2 c)``: each bucket spans a factor of
2^(1/16) ≈ 1.044, so any percentile read from the histogram is within about 2.2% of the true value
(the estimate places a bucket's runs evenly, in log space, across the bucket). A cost of exactly 0
(a free model) has a bucket of its own, ``ZERO_BUCKET``. Bucketing happens in SQL only
(``bucket_sql``), so the assembler and the readers of raw edge rows agree on every boundary.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

BUCKETS_PER_DOUBLING = 16
ZERO_BUCKET = -32768
_LN2 = 0.6931471805599453


def bucket_sql(column: str) -> str:
    """SQL expression for the bucket of a non-NULL cost column (NUMERIC, USD)."""
    return (f"CASE WHEN {column} <= 0 THEN {ZERO_BUCKET} "
            f"ELSE floor(ln({column}::float8) / {_LN2} * {BUCKETS_PER_DOUBLING})::int END")


def rank_value(bucket: int, index_in_bucket: int, bucket_runs: int) -> float:
    """Estimated cost of the ``index_in_bucket``-th (0-based) of a bucket's ``bucket_runs`` runs: the
    runs are taken to lie evenly across the bucket in log space, the k-th of m at (k + ½)/m."""
    if bucket == ZERO_BUCKET:
        return 0.0
    return math.pow(2.0, (bucket + (index_in_bucket + 0.5) / bucket_runs) / BUCKETS_PER_DOUBLING)


def ranks_needed(q: float, total: int) -> tuple[int, int]:
    """The 0-based order statistics a continuous ``q``-quantile of ``total`` runs interpolates between."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"a quantile lies between 0 and 1, got {q!r}")
    low = math.floor(q * (total - 1))
    return low, min(low + 1, total - 1)


def interpolate(q: float, total: int, nth: Callable[[int], float]) -> float:
    """``percentile_cont``: the value at position q·(total−1), linear between neighbouring runs."""
    position = q * (total - 1)
    low, high = ranks_needed(q, total)
    low_value = nth(low)
    return low_value if high == low else low_value + (nth(high) - low_value) * (position - low)


def percentiles(histogram: Mapping[int, int], quantiles: Iterable[float]) -> list[float | None]:
    """Continuous percentiles (as ``percentile_cont``) estimated from ``{bucket: runs}``.

    Returns None for every quantile when the histogram is empty."""
    items = sorted((b, int(n)) for b, n in histogram.items() if n > 0)
    total = sum(n for _, n in items)
    qs = list(quantiles)
    for q in qs:
        ranks_needed(q, max(total, 1))  # refuses a quantile outside [0, 1]
    if total == 0:
        return [None for _ in qs]

    def nth(index: int) -> float:
        seen = 0
        for bucket, count in items:
            if index < seen + count:
                return rank_value(bucket, index - seen, count)
            seen += count
        raise IndexError(index)

    return [interpolate(q, total, nth) for q in qs]
