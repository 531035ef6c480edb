"""A call's leftover attributes: what no typed column holds, scrubbed and size-bounded.

Leftovers are every attribute that is neither content nor the value a typed column was taken
from (a losing alias, such as a deprecated key that disagrees with the current one, stays).
Content is dropped unless content capture is on; with it, content attributes and content events
(under ``_events``) are kept. Either way the JSON of the result is bounded to a byte budget: the
largest values are dropped first and ``_truncated`` says how many went.
"""

from __future__ import annotations

import json
from typing import Any

from modelmix.conventions import keys
from modelmix.conventions.extract import Extraction
from modelmix.conventions.values import to_python

TRUNCATED_KEY = "_truncated"
_MARKER_KEYS = frozenset({"dedup_rule", TRUNCATED_KEY})


def call_attributes(ex: Extraction, notes: dict[str, str], capture_content: bool) -> dict[str, Any]:
    view = ex.view
    attributes = view.leftovers  # the view is this span's own: its dict becomes the call's
    winners = ex.winners
    for field, candidates in view.fields.items():
        if field == keys.INVOCATION_PARAMETERS and not capture_content:
            continue  # may embed prompts; its model is already the request model
        kept = field in keys.KEPT_IN_ATTRIBUTES
        won = winners.get(field)
        for entry in candidates:
            if kept or entry is not won:
                attributes[entry[1]] = to_python(entry[2])
    if capture_content:
        for key, value in view.content:
            attributes[key] = to_python(value)
        if view.content_events:
            attributes["_events"] = view.content_events
    if ex.invalid:
        attributes["_invalid_values"] = sorted(set(ex.invalid))
    attributes.update(notes)
    return attributes


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace"))


def _upper_bound(attributes: dict[str, Any]) -> int | None:
    """A cheap upper bound of the JSON size, or ``None`` when a value needs exact measuring."""
    total = 2
    for key, value in attributes.items():
        kind = value.__class__
        if kind is str:
            total += 6 * (len(key) + len(value)) + 6  # 6 bytes per escaped character, quotes, colon, comma
        elif kind is int or kind is float or kind is bool or value is None:
            total += 6 * len(key) + 36
        else:
            return None
    return total


def bound_attributes(attributes: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """Drop the largest values until the compact JSON fits ``max_bytes``; count them in ``_truncated``.

    Markers (``dedup_rule``, ``_truncated``) go last. The JSON measured is compact and UTF-8
    encoded; a budget too small even for the marker leaves an empty dict.
    """
    estimate = _upper_bound(attributes)
    if estimate is not None and estimate <= max_bytes:
        return attributes
    sizes = {key: _json_size(key) + 1 + _json_size(value) for key, value in attributes.items()}
    total = 2 + sum(sizes.values()) + max(len(sizes) - 1, 0)
    if total <= max_bytes:
        return attributes
    marker_cost = len(f',"{TRUNCATED_KEY}":') + len(str(len(attributes)))
    order = sorted(sizes, key=lambda key: (key in _MARKER_KEYS, -sizes[key]))
    dropped = 0
    for key in order:
        if total + marker_cost <= max_bytes:
            break
        total -= sizes[key] + 1
        del attributes[key]
        dropped += 1
    if dropped and total + marker_cost <= max_bytes:
        attributes[TRUNCATED_KEY] = dropped
    return attributes
