""""The three things to do next": up to three concrete recommendations derived from the review data.

Three kinds, each from a section of the data:

- **downgrade**: route a (task, model) group to the suggested cheaper model — largest saving first;
- **escalation**: look into a task whose escalation rate is rising (see ``sections.RISING_POINTS``)
  — largest rise first;
- **unpriced**: set a price for a model whose calls carry no cost — most unpriced calls first.

The first of each kind is taken in that order, then the second of each kind, until there are three.
"""

from __future__ import annotations

import shlex
from itertools import zip_longest
from typing import Any

from modelmix.review.format import pct, points, usd

MAX_STEPS = 3
KIND_ORDER = ("downgrade", "escalation", "unpriced")


def _downgrades(data: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"kind": "downgrade",
         "text": (f"Route {c['task']} calls from {c['model']} to {c['suggested_model']}: about "
                  f"{usd(c['savings_usd'])} saved on this week's {c['calls']:,} calls "
                  f"({c['confidence']} confidence, {c['kind']}).")}
        for c in data["candidates"]
    ]


def _escalations(data: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"kind": "escalation",
         "text": (f"Look into {e['task']}: its escalation rate rose from {pct(e['rate_previous'])} to "
                  f"{pct(e['rate'])} ({points(e['change'])}; {e['escalated_runs']:,} of {e['runs']:,} runs "
                  f"escalated). Check the cheaper model's failures before routing more traffic to it.")}
        for e in sorted((e for e in data["escalations"]["tasks"] if e["rising"]),
                        key=lambda e: (-(e["change"] or 0.0), e["task"]))
    ]


def _unpriced(data: dict[str, Any]) -> list[dict[str, str]]:
    steps = []
    for m in data["unpriced_models"]:
        provider = f" --provider {shlex.quote(m['provider'])}" if m["provider"] else ""
        window = data["window"]
        steps.append({
            "kind": "unpriced",
            "text": (f"Set a price for {m['model']}{' (' + m['provider'] + ')' if m['provider'] else ''}: "
                     f"{m['unpriced_calls']:,} of its calls this week have no cost, so spend is understated. "
                     f"`modelmix prices set {shlex.quote(m['model'])}{provider} --input USD --output USD "
                     f"--from {window['since'][:10]}`, then `modelmix reprice --since {window['since'][:10]} "
                     f"--until {window['until'][:10]}`."),
        })
    return steps


def next_steps(data: dict[str, Any]) -> list[dict[str, str]]:
    """Up to ``MAX_STEPS`` recommendations, each ``{"kind": ..., "text": ...}``."""
    by_kind = [_downgrades(data), _escalations(data), _unpriced(data)]
    ordered = [step for layer in zip_longest(*by_kind) for step in layer if step is not None]
    return ordered[:MAX_STEPS]
