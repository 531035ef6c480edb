"""The review as one self-contained HTML file: inline CSS, inline SVG charts, no script, no URL.

The page works offline and from an e-mail attachment: nothing is fetched (a Content-Security-Policy
of ``default-src 'none'`` makes sure of it), charts are SVG drawn by ``svg``, and exact values show
as tooltips. Every piece of text from the data is escaped; only markup built here is marked ``Raw``.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from modelmix.review.format import (
    NONE_YET,
    change_tone,
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
from modelmix.review.markdown import days_of, title
from modelmix.review.style import CSS
from modelmix.review.svg import Series, stacked_columns

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C6D31")
OTHER_COLOR = "#9AA0A6"
TIER_COLORS = {"frontier": "#D55E00", "mid": "#E69F00", "small": "#009E73", "unknown": OTHER_COLOR}
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class Raw(str):
    """Markup built by this module (not escaped again)."""


def _e(value: object) -> str:
    return value if isinstance(value, Raw) else escape(str(value))


def _table(headers: list[str], rows: list[list[object]], empty: str, numeric: tuple[int, ...] = ()) -> str:
    if not rows:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(f'<th{" class=num" if i in numeric else ""}>{escape(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{_e(c)}</td>' for i, c in enumerate(row))
        + "</tr>" for row in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _section(heading: str, *parts: str) -> str:
    return f'<section><h2>{escape(heading)}</h2>{"".join(parts)}</section>'


def _p(text: str, css: str = "note") -> str:
    return f'<p class="{css}">{escape(text)}</p>'


def _model_colors(data: dict[str, Any]) -> dict[str, str]:
    names = [s["name"] for s in data["charts"]["calls_by_model"] if s["name"] != "other"]
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)} | {"other": OTHER_COLOR}


def _legend(items: list[tuple[str, str]]) -> str:
    spans = "".join(f'<span><i style="background:{color}"></i>{escape(name)}</span>' for name, color in items)
    return f'<div class="legend">{spans}</div>'


def _day_labels(days: list[str]) -> list[str]:
    return [f"{d:%a} {d.day}" for d in (date.fromisoformat(x) for x in days)]


def _cards(data: dict[str, Any]) -> str:
    cards = []
    for h in data["headline"]:
        note = f'<div class="card-note">{escape(h["note"])}</div>' if h["note"] else ""
        cards.append(
            f'<div class="card"><div class="card-label">{escape(h["label"])}</div>'
            f'<div class="card-value">{escape(headline_value(h))}</div>'
            f'<div class="card-change {change_tone(h)}">{escape(headline_change(h))}</div>'
            f'<div class="card-prev">{escape(data["previous_week"])}: {escape(headline_value(h, "previous"))}</div>'
            f"{note}</div>")
    return f'<section class="cards">{"".join(cards)}</section>'


def _mix(data: dict[str, Any]) -> str:
    charts, colors = data["charts"], _model_colors(data)
    labels = _day_labels(charts["days"])
    half = len(labels) // 2
    calls = [Series(s["name"], s["values"], colors.get(s["name"], OTHER_COLOR)) for s in charts["calls_by_model"]]
    spend = [Series(s["name"], s["values"], TIER_COLORS.get(s["name"], OTHER_COLOR)) for s in charts["spend_by_tier"]]
    weeks = (data["previous_week"], data["week"])
    mix_chart = (stacked_columns(labels, calls, percent=True, value_format=lambda v: f"{v:,.0f} calls",
                                 title="Share of LLM calls per model, per day", divider_at=half, group_labels=weeks)
                 + _legend([(s.name, s.color) for s in calls]) if calls else _p("No LLM calls in these two weeks."))
    spend_chart = (stacked_columns(labels, spend, percent=False, value_format=lambda v: usd(f"{v:.10f}"),
                                   title="Known spend per day by tier (USD)", divider_at=half, group_labels=weeks)
                   + _legend([(s.name, s.color) for s in spend]) if spend else _p("No priced calls in these two weeks."))
    rows = [[Raw(f'<i class="dot" style="background:{colors.get(m["model"], OTHER_COLOR)}"></i>{escape(m["model"])}'),
             m["provider"] or "(unknown)", m["tier"], count(m["calls"]), pct(m["share_calls"]),
             pct(m["share_calls_previous"]), points(m["shift_points"]),
             usd(m["cost_usd"]) if m["calls"] else NONE_YET] for m in data["mix"]]
    table = _table(["Model", "Provider", "Tier", "Calls", "Share", "Last week", "Shift", "Spend"], rows,
                   "No LLM calls in either week.", numeric=(3, 4, 5, 6, 7))
    return _section("Mix shift", '<h3>Share of calls per model, day by day</h3>', mix_chart,
                    '<h3>Known spend per day, by tier</h3>', spend_chart, '<h3>This week against last week</h3>', table)


def _movers(data: dict[str, Any]) -> str:
    m = data["movers"]
    rows = [[x["task"], usd(x["cost_per_run_usd"]), usd(x["cost_per_run_usd_previous"]), signed_pct(x["cost_change"]),
             f"{x['main_model']} ({pct(x['main_model_share'], 0)})",
             f"{x['main_model_previous']} ({pct(x['main_model_share_previous'], 0)})"] for x in m["tasks"]]
    extra = ""
    if m["new_tasks"]:
        extra += _p("New tasks this week: " + ", ".join(m["new_tasks"]) + ".")
    if m["gone_tasks"]:
        extra += _p("Tasks with no runs this week: " + ", ".join(m["gone_tasks"]) + ".")
    return _section("Biggest movers", _p("Tasks whose main model or mean cost per run changed most."),
                    _table(["Task", "Cost per run", "Last week", "Change", "Main model", "Last week"], rows,
                           "No task changed its model or its cost per run by 5% or more.", numeric=(1, 2, 3)), extra)


def _models(data: dict[str, Any]) -> str:
    def items(rows: list[dict[str, Any]], when: str) -> str:
        if not rows:
            return '<p class="empty">None.</p>'
        return "<ul>" + "".join(
            f"<li><b>{escape(r['model'])}</b> ({escape(r['provider'] or 'unknown provider')}, {escape(r['tier'])}): "
            f"{escape(count(r['calls']))} calls, {escape(usd(r['cost_usd']))} {when}</li>" for r in rows) + "</ul>"

    return _section("New and retired models", '<div class="two">',
                    f'<div><h3>New this week</h3>{items(data["models"]["new"], "this week")}</div>',
                    f'<div><h3>Retired (seen last week only)</h3>{items(data["models"]["retired"], "last week")}</div>',
                    "</div>")


def _candidates(data: dict[str, Any]) -> str:
    rows = [[c["task"], c["model"], c["suggested_model"], count(c["calls"]), usd(c["current_cost_usd"]),
             usd(c["projected_cost_usd"]), usd(c["savings_usd"]),
             Raw(f'<details><summary>{escape(c["confidence"])} · {escape(c["kind"])}</summary>'
                 f'{escape(c["basis"])}</details>')] for c in data["candidates"]]
    avoidable = next(h for h in data["headline"] if h["key"] == "avoidable_spend_usd")
    return _section("Top downgrade candidates",
                    _p(f"{plural(data['candidates_count'], 'candidate')}; estimated avoidable spend {usd(avoidable['current'])}."),
                    _table(["Task", "Model", "Suggested", "Calls", "Current", "Projected", "Savings", "Confidence"],
                           rows, "No downgrade candidates this week.", numeric=(3, 4, 5, 6)))


def _escalations(data: dict[str, Any]) -> str:
    e = data["escalations"]
    summary = (f"Overall {pct(e['rate'])} of {count(e['runs'])} runs escalated ({count(e['explicit_runs'])} explicit, "
               f"{count(e['inferred_runs'])} inferred); last week {pct(e['rate_previous'])} ({points(e['change'])}).")
    rows = [[t["task"], count(t["runs"]), count(t["escalated_runs"]), pct(t["rate"]), pct(t["rate_previous"]),
             Raw(f'<span class="{"bad" if t["rising"] else ""}">{escape(points(t["change"]))}</span>')]
            for t in e["tasks"]]
    pairs = [[p["from_model"], p["to_model"], count(p["escalated_runs"]), count(p["runs_started_on_from"]),
              pct(p["rate"])] for p in e["pairs"]]
    pair_table = ("<h3>Escalations by model pair this week</h3>"
                  + _table(["From", "To", "Escalated runs", "Runs started on from", "Rate"], pairs, "",
                           numeric=(2, 3, 4)) if pairs else "")
    return _section("Escalation changes", _p(summary),
                    _table(["Task", "Runs", "Escalated", "Rate", "Last week", "Change"], rows,
                           "No escalations in either week.", numeric=(1, 2, 3, 4, 5)), pair_table)


def _unpriced(data: dict[str, Any]) -> str:
    rows = [[u["model"], u["provider"] or "(unknown)", count(u["unpriced_calls"]), count(u["calls"])]
            for u in data["unpriced_models"]]
    return _section("Unpriced models", _table(["Model", "Provider", "Unpriced calls", "Calls"], rows,
                                              "Every call this week has a price.", numeric=(2, 3)))


def _price_changes(data: dict[str, Any]) -> str:
    rows = [[p["model"] + (" (pattern)" if p["match_kind"] == "pattern" else ""), p["provider"] or "any",
             p["valid_from"][:16].replace("T", " ") + " UTC",
             f"{rate_per_mtok(p['input_per_mtok'])} / {rate_per_mtok(p['output_per_mtok'])}",
             (f"{rate_per_mtok(p['previous_input_per_mtok'])} / {rate_per_mtok(p['previous_output_per_mtok'])}"
              if p["previous_input_per_mtok"] is not None else NONE_YET)] for p in data["price_changes"]]
    return _section("Price changes that took effect",
                    _table(["Model", "Provider", "From", "Input / output per Mtok", "Before"], rows,
                           "No price override took effect this week."))


def _with_code(text: str) -> str:
    """Escaped text with markdown-style `code` spans as ``<code>``."""
    pieces = text.split("`")
    if len(pieces) % 2 == 0:  # an unpaired backtick: show it as typed
        return escape(text)
    return "".join(f"<code>{escape(p)}</code>" if i % 2 else escape(p) for i, p in enumerate(pieces))


def _next_steps(data: dict[str, Any]) -> str:
    steps = data["next_steps"]
    if not steps:
        body = _p("Nothing stands out this week: no downgrade candidate, rising escalation or unpriced model.")
    else:
        body = "<ol>" + "".join(f'<li><span class="tag {escape(s["kind"])}">{escape(s["kind"])}</span> '
                                f'{_with_code(s["text"])}</li>' for s in steps) + "</ol>"
    return f'<section class="next"><h2>The three things to do next</h2>{body}</section>'


def render_html(data: dict[str, Any]) -> str:
    """The full review as one HTML document (UTF-8 text)."""
    window = data["window"]
    partial = (f'<p class="warn">This week is not over yet: the numbers cover calls up to '
               f'{escape(data["generated_at"])}.</p>' if not data["complete"] else "")
    body = "".join([
        f'<header><h1>Model-mix review <span>{escape(data["week"])}</span></h1>'
        f'<p class="sub">{escape(days_of(window))} (UTC) · compared with '
        f'{escape(data["previous_week"])} · generated {escape(data["generated_at"])}</p>{partial}</header>',
        _cards(data), _mix(data), _movers(data), _models(data), _candidates(data), _escalations(data),
        _unpriced(data), _price_changes(data), _next_steps(data),
        '<footer>A stored snapshot: these numbers were frozen when the review was generated and do not change '
        'when prices are changed later.</footer>',
    ])
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,">'
            f"<title>{escape(title(data))}</title><style>{CSS}</style></head>"
            f'<body><main>{body}</main></body></html>\n')
