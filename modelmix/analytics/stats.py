"""Small statistics used to state confidence: the Wilson score interval for a proportion."""

from __future__ import annotations

import math

Z_95 = 1.959963984540054


def wilson_interval(failures: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """95% Wilson score interval for ``failures / trials``; (0, 1) when there are no trials."""
    if trials < 0 or failures < 0 or failures > trials:
        raise ValueError(f"need 0 <= failures <= trials, got {failures}/{trials}")
    if trials == 0:
        return (0.0, 1.0)
    p = failures / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))
