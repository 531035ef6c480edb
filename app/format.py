"""How numbers read on the dashboard: dollars, percentages, changes, counts and tokens.

Unknown values (None or NaN) always read as "unknown" or a dash, never as $0 or 0%. Money may come
in as ``Decimal`` (dataclasses) or float (DataFrames); both format the same way. ``plain`` escapes
user-supplied text (service names, values from the URL) before it goes into Markdown.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

UNKNOWN = "unknown"
DASH = "—"
_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def is_unknown(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, Decimal) and value.is_nan()


def money(value: Decimal | float | int | None, unknown: str = UNKNOWN) -> str:
    """``$1,234.56``; below a cent ``$0.0042``; from $100k ``$123k``, from $10M ``$12.3M``."""
    if is_unknown(value):
        return unknown
    amount = float(value)  # type: ignore[arg-type]
    sign = "-" if amount < 0 else ""
    a = abs(amount)
    if a == 0:
        return "$0.00"
    if a < 0.01:
        return f"{sign}${a:.4f}"
    if a < 100_000:
        return f"{sign}${a:,.2f}"
    if a < 10_000_000:
        return f"{sign}${a / 1000:,.0f}k"
    return f"{sign}${a / 1_000_000:,.1f}M"


def percent(fraction: float | None, digits: int = 1, unknown: str = DASH) -> str:
    """A fraction as a percentage: ``0.123`` → ``12.3%``."""
    if is_unknown(fraction):
        return unknown
    return f"{100 * float(fraction):.{digits}f}%"  # type: ignore[arg-type]


def change(fraction: float | None) -> str | None:
    """A relative change for ``st.metric``'s delta: ``+12.3%`` / ``-4.0%``; from tenfold up as a
    multiple (``+806×``), which reads better than ``+80,500%``; None when unknown."""
    if is_unknown(fraction):
        return None
    value = float(fraction)  # type: ignore[arg-type]
    if value >= 9:
        return f"+{value + 1:,.0f}×"
    return f"{100 * value:+.1f}%"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 run``, ``2 runs`` (counts with thousands separators)."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def points(current: float | None, previous: float | None) -> str | None:
    """The change of a share or rate in percentage points: ``+2.1 pp``; None when either is unknown."""
    if is_unknown(current) or is_unknown(previous):
        return None
    return f"{100 * (float(current) - float(previous)):+.1f} pp"  # type: ignore[arg-type]


def count(value: int | float | None, unknown: str = UNKNOWN) -> str:
    if is_unknown(value):
        return unknown
    return f"{int(value):,}"  # type: ignore[arg-type]


def tokens(value: int | float | None, unknown: str = UNKNOWN) -> str:
    """Token counts, compact: ``950``, ``12.3k``, ``4.56M``, ``1.2B``."""
    if is_unknown(value):
        return unknown
    n = float(value)  # type: ignore[arg-type]
    for limit, suffix, digits in ((1e9, "B", 1), (1e6, "M", 2), (1e3, "k", 1)):
        if abs(n) >= limit:
            return f"{n / limit:.{digits}f}{suffix}"
    return f"{int(n):,}"


def when(moment: datetime | None, unknown: str = DASH) -> str:
    """A UTC timestamp to the minute: ``2026-11-02 09:00 UTC``."""
    if moment is None:
        return unknown
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def plain(text: object, limit: int = 80) -> str:
    """User-supplied text made safe for Markdown: special characters escaped, long values cut."""
    value = str(text)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    value = "".join(ch if ch.isprintable() else "?" for ch in value)
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in value)
