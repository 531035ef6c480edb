"""One color per tier, per model and per task, the same on every chart and every page.

Tiers have fixed hues (small green, mid amber, frontier purple, unknown grey); each model gets a
shade of its tier's hue, assigned in name order over every model the database has seen, so a model
keeps its color whatever the filters are and a chart shows at a glance which tier carries the load.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

TIER_COLORS: dict[str, str] = {"small": "#2E9E5B", "mid": "#E08E00", "frontier": "#7B3FBF", "": "#8A9096"}
TIER_ORDER: tuple[str, ...] = ("frontier", "mid", "small", "")
TIER_LABELS: dict[str, str] = {"small": "small", "mid": "mid", "frontier": "frontier", "": "unknown tier"}

_SHADES: dict[str, tuple[str, ...]] = {
    "small": ("#2E9E5B", "#145C34", "#7FCB9B", "#3F7F5F", "#B5E3C4", "#1F7A45", "#5DB57F", "#0B3D22"),
    "mid": ("#E08E00", "#9C5B00", "#F5BE4F", "#C26A1B", "#F8D98F", "#B07C00", "#EDA43A", "#7A4300"),
    "frontier": ("#7B3FBF", "#B2387A", "#4B2380", "#D46FA8", "#A57FE0", "#7E1F55", "#6A5ACD", "#E3A3C7"),
    "": ("#8A9096", "#5F6368", "#BDC1C6", "#3C4043", "#A8ADB3", "#72777C"),
}
_FALLBACK = tuple(c for shades in _SHADES.values() for c in shades)


def model_tiers(known: Iterable[tuple[str, str]]) -> dict[str, str]:
    """One tier per model from (model, tier) pairs; a known tier beats '' (unknown)."""
    tiers: dict[str, str] = {}
    for model, tier in known:
        if model not in tiers or (not tiers[model] and tier):
            tiers[model] = tier if tier in TIER_COLORS else ""
    return tiers


def model_colors(known: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Model → color: models sorted by name within their tier, each taking the tier's next shade."""
    by_tier: dict[str, list[str]] = {}
    for model, tier in model_tiers(known).items():
        by_tier.setdefault(tier, []).append(model)
    colors: dict[str, str] = {}
    for tier, models in by_tier.items():
        shades = _SHADES[tier]
        for i, model in enumerate(sorted(models)):
            colors[model] = shades[i % len(shades)]
    return colors


def color_of(name: str, colors: dict[str, str]) -> str:
    """The assigned color, else a stable one from the name (for names not seen before)."""
    if name in colors:
        return colors[name]
    if name in TIER_COLORS:
        return TIER_COLORS[name]
    return _FALLBACK[zlib.crc32(name.encode("utf-8")) % len(_FALLBACK)]


CATEGORY_PALETTE: tuple[str, ...] = (
    "#1A73E8", "#D93025", "#188038", "#F29900", "#A142F4", "#12B5CB", "#E52592", "#5F6368", "#B06000",
    "#24C1E0", "#9334E6", "#0D652D",
)


def category_colors(names: Iterable[str]) -> dict[str, str]:
    """Name → color for things that have no tier (tasks, services): distinct colors in name order."""
    return {name: CATEGORY_PALETTE[i % len(CATEGORY_PALETTE)] for i, name in enumerate(sorted(set(names)))}
