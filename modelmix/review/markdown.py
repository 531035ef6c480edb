"""The review as markdown (``render_markdown``) and the short summary posted to a webhook.

Both read only the review data (``gather.gather_review``), so a stored snapshot re-renders the
same. Names coming from telemetry (tasks, models, providers) are table cells: pipes and line
breaks in them are escaped so a strange name cannot break the layout.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from modelmix.review.format import (
    NONE_YET,
    count,
    headline_change,
    headline_value,
    pct,
    plural,
    points,
    rate_per_mtok,
    signed_pct,
    usd,
)


def cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def table(headers: list[str], rows: list[list[str]], empty: str) -> list[str]:
    if not rows:
        return [f"_{empty}_", ""]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def days_of(window: dict[str, str]) -> str:
    """``2026-11-16 to 2026-11-22``: the first and the last day of a half-open window."""
    last = date.fromisoformat(window["until"][:10]) - timedelta(days=1)
    return f"{window['since'][:10]} to {last.isoformat()}"


def title(data: dict[str, Any]) -> str:
    return f"Model-mix review {data['week']} ({days_of(data['window'])}, UTC)"


def _headline(data: dict[str, Any]) -> list[str]:
    out = ["## Headline", ""]
    out += table(["Metric", "This week", data["previous_week"], "Change"],
                 [[h["label"], headline_value(h), headline_value(h, "previous"), headline_change(h)]
                  for h in data["headline"]], "no data")
    out += [f"- {h['label']}: {h['note']}." for h in data["headline"] if h["note"]]
    return [*out, ""] if out[-1] != "" else out


def _mix(data: dict[str, Any]) -> list[str]:
    rows = [[m["model"] or "(unknown)", m["provider"] or "(unknown)", m["tier"], count(m["calls"]),
             pct(m["share_calls"]), pct(m["share_calls_previous"]), points(m["shift_points"]),
             usd(m["cost_usd"]) if m["calls"] else NONE_YET]
            for m in data["mix"]]
    return ["## Mix shift", "", "Share of LLM calls per model, this week against last week.", "",
            *table(["Model", "Provider", "Tier", "Calls", "Share", "Last week", "Shift", "Spend"], rows,
                   "no LLM calls in either week")]


def _movers(data: dict[str, Any]) -> list[str]:
    m = data["movers"]
    rows = [[x["task"], usd(x["cost_per_run_usd"]), usd(x["cost_per_run_usd_previous"]),
             signed_pct(x["cost_change"]), f"{x['main_model']} ({pct(x['main_model_share'], 0)})",
             f"{x['main_model_previous']} ({pct(x['main_model_share_previous'], 0)})"]
            for x in m["tasks"]]
    out = ["## Biggest movers", "", "Tasks whose main model or mean cost per run changed most.", "",
           *table(["Task", "Cost per run", "Last week", "Change", "Main model", "Last week"], rows,
                  "no task changed its model or its cost per run by 5% or more")]
    if m["new_tasks"]:
        out += [f"New tasks this week: {', '.join(m['new_tasks'])}.", ""]
    if m["gone_tasks"]:
        out += [f"Tasks with no runs this week: {', '.join(m['gone_tasks'])}.", ""]
    return out


def _models(data: dict[str, Any]) -> list[str]:
    out = ["## New and retired models", ""]
    for label, rows in (("New", data["models"]["new"]), ("Retired", data["models"]["retired"])):
        if not rows:
            out.append(f"- {label}: none")
        for r in rows:
            when = "this week" if label == "New" else "last week"
            out.append(f"- {label}: {r['model']} ({r['provider'] or 'unknown provider'}, {r['tier']}): "
                       f"{count(r['calls'])} calls, {usd(r['cost_usd'])} {when}")
    return [*out, ""]


def _candidates(data: dict[str, Any]) -> list[str]:
    rows = [[c["task"], c["model"], c["suggested_model"], count(c["calls"]), usd(c["current_cost_usd"]),
             usd(c["projected_cost_usd"]), usd(c["savings_usd"]), c["confidence"]] for c in data["candidates"]]
    avoidable = next(h for h in data["headline"] if h["key"] == "avoidable_spend_usd")
    out = ["## Downgrade candidates", "",
           f"{plural(data['candidates_count'], 'candidate')}; estimated avoidable spend {usd(avoidable['current'])}.", "",
           *table(["Task", "Model", "Suggested", "Calls", "Current", "Projected", "Savings", "Confidence"], rows,
                  "no downgrade candidates this week")]
    out += [f"- {c['task']} / {c['model']} → {c['suggested_model']}: {c['basis']}" for c in data["candidates"]]
    return [*out, ""] if data["candidates"] else out


def _escalations(data: dict[str, Any]) -> list[str]:
    e = data["escalations"]
    out = ["## Escalation changes", "",
           f"Overall: {pct(e['rate'])} of {count(e['runs'])} runs escalated ({count(e['explicit_runs'])} explicit, "
           f"{count(e['inferred_runs'])} inferred); last week {pct(e['rate_previous'])} ({points(e['change'])}).", ""]
    out += table(["Task", "Runs", "Escalated", "Rate", "Last week", "Change", "Rising"],
                 [[t["task"], count(t["runs"]), count(t["escalated_runs"]), pct(t["rate"]), pct(t["rate_previous"]),
                   points(t["change"]), "yes" if t["rising"] else ""] for t in e["tasks"]],
                 "no escalations in either week")
    if e["pairs"]:
        out += table(["From", "To", "Escalated runs", "Runs started on from", "Rate"],
                     [[p["from_model"], p["to_model"], count(p["escalated_runs"]), count(p["runs_started_on_from"]),
                       pct(p["rate"])] for p in e["pairs"]], "")
    return out


def _unpriced(data: dict[str, Any]) -> list[str]:
    rows = [[u["model"], u["provider"] or "(unknown)", count(u["unpriced_calls"]), count(u["calls"])]
            for u in data["unpriced_models"]]
    return ["## Unpriced models", "",
            *table(["Model", "Provider", "Unpriced calls", "Calls"], rows, "every call this week has a price")]


def _price_changes(data: dict[str, Any]) -> list[str]:
    rows = [[p["model"] + (" (pattern)" if p["match_kind"] == "pattern" else ""), p["provider"] or "any",
             p["valid_from"], f"{rate_per_mtok(p['input_per_mtok'])} / {rate_per_mtok(p['output_per_mtok'])}",
             (f"{rate_per_mtok(p['previous_input_per_mtok'])} / {rate_per_mtok(p['previous_output_per_mtok'])}"
              if p["previous_input_per_mtok"] is not None else NONE_YET)]
            for p in data["price_changes"]]
    return ["## Price changes that took effect", "",
            *table(["Model", "Provider", "From", "Input / output per Mtok", "Before"], rows,
                   "no price override took effect this week")]


def _next_steps(data: dict[str, Any]) -> list[str]:
    steps = data["next_steps"]
    out = ["## The three things to do next", ""]
    if not steps:
        return [*out, "_Nothing stands out this week: no downgrade candidate, rising escalation or unpriced model._"]
    return out + [f"{n}. {s['text']}" for n, s in enumerate(steps, start=1)]


def render_markdown(data: dict[str, Any]) -> str:
    """The full review for people: every section, ending with the three things to do next."""
    out = [f"# {title(data)}", "",
           f"Compared with {data['previous_week']}. Generated {data['generated_at']}.", ""]
    if not data["complete"]:
        out += [f"> This week is not over yet: the numbers cover calls up to {data['generated_at']}.", ""]
    for section in (_headline, _mix, _movers, _models, _candidates, _escalations, _unpriced, _price_changes,
                    _next_steps):
        out += section(data)
    return "\n".join(out).rstrip() + "\n"


def summary_markdown(data: dict[str, Any]) -> str:
    """A short summary for chat (e.g. a Slack incoming webhook): headline numbers and next steps."""
    out = [f"*{title(data)}*", ""]
    out += [f"- {h['label']}: {headline_value(h)} ({headline_change(h)} vs {data['previous_week']})"
            for h in data["headline"]]
    if data["next_steps"]:
        out += ["", "*The three things to do next*"]
        out += [f"{n}. {s['text']}" for n, s in enumerate(data["next_steps"], start=1)]
    return "\n".join(out) + "\n"
