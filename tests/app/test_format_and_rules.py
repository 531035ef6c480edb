"""How numbers read (unknown is never $0), routing rules from edited rows, and stable colors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.colors import TIER_COLORS, category_colors, color_of, model_colors
from app.format import change, money, percent, plain, plural, points, tokens
from app.rules import ANY_TASK, parse_rows


@pytest.mark.parametrize("value, shown", [
    (None, "unknown"), (float("nan"), "unknown"), (Decimal("NaN"), "unknown"), (0, "$0.00"),
    (Decimal("0.0042"), "$0.0042"), (0.296, "$0.30"), (Decimal("1234.5"), "$1,234.50"),
    (-0.05, "-$0.05"), (250_000, "$250k"), (12_345_678, "$12.3M"),
])
def test_money(value: object, shown: str) -> None:
    assert money(value) == shown  # type: ignore[arg-type]


def test_percentages_changes_and_points() -> None:
    assert percent(10 / 88) == "11.4%"
    assert percent(None) == "—"
    assert change(0.296 / 0.072 - 1) == "+311.1%"
    assert change(-0.25) == "-25.0%"
    assert change(805.88) == "+807×"
    assert change(None) is None
    assert points(0.075, 0.0) == "+7.5 pp"
    assert points(0.1, None) is None


def test_tokens_and_plurals() -> None:
    assert [tokens(v) for v in (950, 12_300, 4_560_000, 1_200_000_000, None)] == [
        "950", "12.3k", "4.56M", "1.2B", "unknown"]
    assert plural(1, "run") == "1 run" and plural(1200, "run") == "1,200 runs"


def test_plain_escapes_markdown_and_cuts_long_text() -> None:
    assert plain("*a*_[b](c)") == "\\*a\\*\\_\\[b\\]\\(c\\)"
    assert plain("x" * 100, limit=10) == "x" * 9 + "…"


def test_valid_rows_become_rules_and_blank_rows_are_skipped() -> None:
    rules, problems = parse_rows([
        {"task": "classify-ticket", "from_model": "gpt-4o", "to_model": "gpt-4o-mini", "escalation_pct": 10},
        {"task": ANY_TASK, "from_model": " claude-sonnet-4-5 ", "to_model": "claude-haiku-4-5",
         "escalation_pct": "2.5"},
        {"task": None, "from_model": None, "to_model": None, "escalation_pct": None},
    ])
    assert problems == []
    assert rules == [("classify-ticket", "gpt-4o", "gpt-4o-mini", 0.10),
                     (None, "claude-sonnet-4-5", "claude-haiku-4-5", 0.025)]


@pytest.mark.parametrize("row, fragment", [
    ({"task": ANY_TASK, "from_model": "gpt-4o", "to_model": "", "escalation_pct": 0}, "choose both"),
    ({"task": ANY_TASK, "from_model": None, "to_model": "gpt-4o-mini", "escalation_pct": 0}, "choose both"),
    ({"task": ANY_TASK, "from_model": "gpt-4o", "to_model": "gpt-4o", "escalation_pct": 0}, "routed to itself"),
    ({"task": ANY_TASK, "from_model": "gpt-4o", "to_model": "gpt-4o-mini", "escalation_pct": "abc"},
     "is not a number"),
    ({"task": ANY_TASK, "from_model": "gpt-4o", "to_model": "gpt-4o-mini", "escalation_pct": 150},
     "between 0% and 100%"),
    ({"task": ANY_TASK, "from_model": "gpt-4o", "to_model": "gpt-4o-mini", "escalation_pct": "nan"},
     "between 0% and 100%"),
    ({"task": ANY_TASK, "from_model": "gpt-4o", "to_model": "x" * 500, "escalation_pct": 0}, "longer than"),
])
def test_bad_rows_are_named_not_raised(row: dict[str, object], fragment: str) -> None:
    rules, problems = parse_rows([row])
    assert rules == []
    assert len(problems) == 1 and problems[0].startswith("Rule 1:") and fragment in problems[0]


def test_model_colors_follow_the_tier_and_do_not_depend_on_order() -> None:
    known = [("gpt-4o-mini", "small"), ("claude-sonnet-4-5", "frontier"), ("gpt-4o", "mid"),
             ("claude-haiku-4-5", "small"), ("mystery", ""), ("gpt-4o", "")]
    colors = model_colors(known)
    assert colors == model_colors(list(reversed(known)))
    # The first model (by name) of each tier wears the tier's own color; a known tier beats ''.
    assert colors["claude-haiku-4-5"] == TIER_COLORS["small"]
    assert colors["gpt-4o"] == TIER_COLORS["mid"]
    assert colors["claude-sonnet-4-5"] == TIER_COLORS["frontier"]
    assert colors["mystery"] == TIER_COLORS[""]
    assert colors["gpt-4o-mini"] != colors["claude-haiku-4-5"]
    assert color_of("never-seen", colors) == color_of("never-seen", {})
    assert color_of("small", {}) == TIER_COLORS["small"]


def test_category_colors_are_distinct_for_a_dozen_tasks() -> None:
    names = [f"task-{i:02d}" for i in range(12)]
    colors = category_colors(reversed(names))
    assert len(set(colors.values())) == 12
    assert colors == category_colors(names)
