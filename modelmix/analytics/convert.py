"""Small shared conversions: Decimal money to DataFrame floats, safe ratios, NULL-aware sums."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import pandas as pd


def ratio(part: float | int | Decimal | None, whole: float | int | Decimal | None) -> float | None:
    """``part / whole`` as a float, or None when either side is unknown or the whole is zero."""
    if part is None or whole is None or whole == 0:
        return None
    return float(part) / float(whole)


def money_float(value: Decimal | None) -> float:
    """Decimal money as a float for tables and charts; unknown becomes NaN (never 0)."""
    return float("nan") if value is None else float(value)


def sum_known(values: Iterable[Decimal | None]) -> Decimal | None:
    """Sum of the known values; None when every value is unknown (an empty input sums to 0)."""
    total: Decimal | None = None
    seen_any = False
    for value in values:
        seen_any = True
        if value is not None:
            total = value if total is None else total + value
    return Decimal(0) if not seen_any else total


def frame(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    """A DataFrame with exactly ``columns`` (empty but typed by name when there are no rows)."""
    return pd.DataFrame(rows, columns=columns)
