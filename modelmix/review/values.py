"""How the review stores numbers in its JSON data: exact money as decimal strings, no NaN anywhere.

The data of a review is stored as ``jsonb`` and re-read years later, so every value must survive
JSON unchanged: money is a decimal string (``"0.07072"``, never a binary float), unknown is
``null`` (never 0, never NaN), ratios and shares are plain floats (0.25 = 25%).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

MONEY_PLACES = Decimal("1e-10")  # the scale of the NUMERIC money columns


def money(value: Decimal | float | int | None) -> str | None:
    """Money as an exact decimal string without trailing zeros; None (unknown) stays None."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        value = Decimal(repr(value))
    amount = Decimal(value).quantize(MONEY_PLACES).normalize()
    text = format(amount, "f")
    return "0" if text in ("-0", "0") else text


def to_decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def number(value: Any) -> float | None:
    """A float, with None / NaN as None."""
    if value is None:
        return None
    result = float(value)
    return None if math.isnan(result) else result


def count(value: Any) -> int:
    """An integer count; None / NaN count as 0 (counts are never unknown, only absent)."""
    if value is None:
        return 0
    if isinstance(value, float) and math.isnan(value):
        return 0
    return int(value)


def relative_change(now: Decimal | float | int | None, before: Decimal | float | int | None) -> float | None:
    """``now / before - 1``; None when either is unknown or ``before`` is 0."""
    if now is None or before is None or before == 0:
        return None
    return float(now) / float(before) - 1.0


def point_change(now: float | None, before: float | None) -> float | None:
    """Difference of two shares (0.05 = +5 percentage points); None when either is unknown."""
    if now is None or before is None:
        return None
    return now - before
