"""Number formatting shared by the markdown and HTML renderers (reads the review's JSON values).

Money arrives as a decimal string (or None = unknown) and is shown with cents from $1 up and four
significant digits below $1 (LLM spend of a small task is often a fraction of a cent). Shares are
shown as percentages, share changes in percentage points, other changes as signed percentages.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

UNKNOWN = "unknown"
NONE_YET = "—"
CENT = Decimal("0.01")


def usd(value: str | Decimal | None) -> str:
    if value is None:
        return UNKNOWN
    amount = Decimal(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount == 0:
        return "$0.00"
    if amount >= 1:
        return f"{sign}${amount.quantize(CENT, ROUND_HALF_UP):,.2f}"
    exponent = amount.adjusted()  # 0.0035 -> -3
    shown = amount.quantize(Decimal(10) ** (exponent - 3), ROUND_HALF_UP)
    text = format(shown.normalize(), "f")
    if len(text.partition(".")[2]) < 2:
        text = f"{Decimal(text):.2f}"
    return f"{sign}${text}"


def pct(value: float | None, places: int = 1) -> str:
    return NONE_YET if value is None else f"{100 * value:.{places}f}%"


def signed_pct(value: float | None) -> str:
    return NONE_YET if value is None else f"{100 * value:+.1f}%"


def points(value: float | None) -> str:
    return NONE_YET if value is None else f"{100 * value:+.1f} pp"


def count(value: int | None) -> str:
    return UNKNOWN if value is None else f"{value:,}"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def rate_per_mtok(value: str | None) -> str:
    """A price in USD per million tokens, at full precision with at least cents."""
    if value is None:
        return UNKNOWN
    text = format(Decimal(value).normalize(), "f")
    return f"${Decimal(text):.2f}" if len(text.partition(".")[2]) < 2 else f"${text}"


def headline_value(item: dict[str, Any], which: str = "current") -> str:
    value = item[which]
    if item["unit"] == "usd":
        return usd(value)
    if item["unit"] == "share":
        return pct(value)
    return count(value)


def headline_change(item: dict[str, Any]) -> str:
    if item["change"] is None:
        return NONE_YET
    return points(item["change"]) if item["change_unit"] == "points" else signed_pct(item["change"])


def change_tone(item: dict[str, Any]) -> str:
    """good | bad | neutral, from the direction of the change and which direction is better."""
    change, better = item["change"], item["better"]
    if change is None or better is None or abs(change) < 1e-12:
        return "neutral"
    return "good" if (change < 0) == (better == "lower") else "bad"
