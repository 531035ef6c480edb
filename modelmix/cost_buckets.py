"""Log-spaced buckets for run cost: the daily histogram behind cost-per-run percentiles.

A priced run's cost ``c`` (USD) falls in bucket ``floor(16 · log2 c)``: each bucket spans a factor of
2^(1/16) ≈ 1.044, so any percentile read from the histogram is within about 2.2% of the true value
(the estimate places a bucket's runs evenly, in log space, across the bucket). A cost of exactly 0
(a free model) has a bucket of its own, ``ZERO_BUCKET``. Bucketing happens in SQL only
(``bucket_sql``), so the assembler and the readers of raw edge rows agree on every boundary.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

BUCKETS_PER_DOUBLING = 16
ZERO_BUCKET = -32768
_LN2 = 0.6931471805599453


def bucket_sql(column: str) -> str:
    """SQL expression for the bucket of a non-NULL cost column (NUMERIC, USD)."""
    return (f"CASE WHEN {column} <= 0 THEN {ZERO_BUCKET} "
            f"ELSE floor(ln({column}::float8) / {_LN2} * {BUCKETS_PER_DOUBLING})::int END")


def _value(bucket: int, position: float) -> float:
    """The cost at ``position`` (0..1) through ``bucket`` in log space."""
    if bucket == ZERO_BUCKET:
        return 0.0
    return math.pow(2.0, (bucket + position) / BUCKETS_PER_DOUBLING)


def percentiles(histogram: Mapping[int, int], quantiles: Iterable[float]) -> list[float | None]:
    """Continuous percentiles (as ``percentile_cont``) estimated from ``{bucket: runs}``.

    The runs of a bucket are taken to lie evenly across it (the k-th of m at (k + ½)/m of its log
    width); between two runs the value is interpolated linearly, as ``percentile_cont`` does.
    Returns None for every quantile when the histogram is empty.
    """
    items = sorted((b, int(n)) for b, n in histogram.items() if n > 0)
    total = sum(n for _, n in items)
    qs = list(quantiles)
    if total == 0:
        return [None for _ in qs]

    def nth(index: int) -> float:  # the index-th run in cost order, 0-based
        seen = 0
        for bucket, count in items:
            if index < seen + count:
                return _value(bucket, (index - seen + 0.5) / count)
            seen += count
        return _value(items[-1][0], 1.0)

    out: list[float | None] = []
    for q in qs:
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"a quantile lies between 0 and 1, got {q!r}")
        position = q * (total - 1)
        low = math.floor(position)
        low_value = nth(low)
        if position == low:
            out.append(low_value)
        else:
            out.append(low_value + (nth(low + 1) - low_value) * (position - low))
    return out
