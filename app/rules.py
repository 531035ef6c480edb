"""What-if routing rules as the dashboard edits them: rows in a table, validated into ``RoutingRule``s.

The rules live in the session (``RULES_KEY``) so a downgrade candidate can be carried into the
What-if page with one click. ``parse_rows`` turns the edited table back into rules and names every
row that is wrong — an empty model, a rate that is not a percentage between 0 and 100, a model
routed to itself — instead of raising.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from app.format import plain
from modelmix.analytics import FilterError, RoutingRule

RULES_KEY = "mm_rules"
VERSION_KEY = "mm_rules_version"
ANY_TASK = "(any task)"
COLUMNS = ("task", "from_model", "to_model", "escalation_pct")
MAX_RULES = 50
MAX_NAME = 200

RuleTuple = tuple[str | None, str, str, float]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def parse_rows(rows: Iterable[Mapping[str, Any]]) -> tuple[list[RuleTuple], list[str]]:
    """Rules from table rows (``COLUMNS``; rate in percent), and one message per bad row.

    Completely empty rows are skipped silently (a fresh row in the editor)."""
    rules: list[RuleTuple] = []
    problems: list[str] = []
    for number, row in enumerate(rows, start=1):
        task, src, dst = _text(row.get("task")), _text(row.get("from_model")), _text(row.get("to_model"))
        raw_pct = row.get("escalation_pct")
        if not (task or src or dst) and (raw_pct is None or _text(raw_pct) in {"", "0", "0.0"}):
            continue
        if len(rules) >= MAX_RULES:
            problems.append(f"Only the first {MAX_RULES} rules are used.")
            break
        if not src or not dst:
            problems.append(f"Rule {number}: choose both the model to move from and the model to move to.")
            continue
        if len(src) > MAX_NAME or len(dst) > MAX_NAME or len(task) > MAX_NAME:
            problems.append(f"Rule {number}: a name is longer than {MAX_NAME} characters.")
            continue
        if src == dst:
            problems.append(f"Rule {number}: “{plain(src)}” is routed to itself.")
            continue
        try:
            pct = float(_text(raw_pct) or 0)
        except ValueError:
            problems.append(f"Rule {number}: the escalation rate “{plain(raw_pct, 20)}” is not a number.")
            continue
        if not 0 <= pct <= 100 or math.isnan(pct):
            problems.append(f"Rule {number}: the escalation rate must be between 0% and 100%.")
            continue
        try:
            rule = RoutingRule(None if task in {"", ANY_TASK} else task, src, dst, pct / 100)
        except FilterError as exc:
            problems.append(f"Rule {number}: {plain(exc, 200)}")
            continue
        rules.append((rule.task, rule.from_model, rule.to_model, rule.escalation_rate))
    return rules, problems


def stored_rows() -> list[dict[str, Any]]:
    return [dict(row) for row in st.session_state.get(RULES_KEY, [])]


def editor_key() -> str:
    """The table editor's key; it changes whenever the stored rules change, so the editor restarts from them."""
    return f"mm_rules_editor_{st.session_state.get(VERSION_KEY, 0)}"


def _store(rows: list[dict[str, Any]]) -> None:
    st.session_state[RULES_KEY] = rows
    st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1


def apply_editor_changes() -> None:
    """``on_change`` of the table editor: fold its edits, deletions and additions into the stored rules."""
    changes = st.session_state.get(editor_key()) or {}
    rows = stored_rows()
    for index, edits in (changes.get("edited_rows") or {}).items():
        if 0 <= int(index) < len(rows):
            rows[int(index)].update(edits)
    for index in sorted(changes.get("deleted_rows") or [], reverse=True):
        if 0 <= int(index) < len(rows):
            del rows[int(index)]
    rows.extend(dict(added) for added in changes.get("added_rows") or [])
    _store(rows)


def clear_rules() -> None:
    _store([])


def add_rule(task: str | None, from_model: str, to_model: str, escalation_rate: float) -> None:
    """Append a rule to the session's rules (and reset the editor so it shows the new row)."""
    rows = stored_rows()
    row = {"task": task or ANY_TASK, "from_model": from_model, "to_model": to_model,
           "escalation_pct": round(100 * escalation_rate, 2)}
    if row not in rows:
        rows.append(row)
    _store(rows)
