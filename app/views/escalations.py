"""Escalations: how often runs cascade to a pricier model — per task over time, per model pair,
explicit (marked by the service) apart from inferred (guessed from call structure) — and what it costs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, context, data, ui
from app.colors import color_of
from app.format import count, money, percent, plural

TREND_TASKS = 6

ctx = context.current()
st.title("Escalations")
ctx.caption()
ctx.require_data()

esc = data.escalations(ctx.db, ctx.filters)
if esc.runs == 0:
    ctx.require_calls_in_window(0)

cols = st.columns(4)
cols[0].metric("Escalation rate", percent(esc.rate), help="Escalated runs / task runs in the window.")
cols[1].metric("Escalated runs", f"{count(esc.escalated_runs)} of {count(esc.runs)}")
cols[2].metric("Explicit", count(esc.explicit_runs),
               help="Marked by the service (modelmix.escalated_from, or the modelmix helpers).")
cols[3].metric("Inferred", count(esc.inferred_runs),
               help="Two calls under one parent where the later one used a pricier model. May also be a "
                    "deliberate two-step pipeline, so it is shown apart.")

st.subheader("Rate per task over time")
by_task = esc.by_task
escalating = by_task[by_task["escalated_runs"] > 0].sort_values(["escalated_runs", "runs"], ascending=False)
if escalating.empty:
    st.info("No run escalated in this window.", icon=":material/check_circle:")
else:
    trend = data.escalation_trend_by_task(ctx.db, ctx.filters, ctx.bucket)
    drawn = escalating["task"].head(TREND_TASKS).tolist()
    ui.plot(charts.lines_with_end_labels(trend, "bucket", "rate", "task", ctx.task_colors, ".0%", top=drawn),
            "esc_trend")
    st.caption(f"Tasks with escalations ({len(drawn)} of {len(by_task)} tasks"
               + (f"; the {TREND_TASKS} with the most are drawn" if len(escalating) > TREND_TASKS else "") + ").")

    st.subheader("Model pairs")
    pairs = esc.by_pair
    ui.plot(charts.labelled_bars(
        [f"{a or '?'} → {b or '?'}" for a, b in zip(pairs.from_model, pairs.to_model, strict=True)],
        list(pairs.escalated_runs),
        [f"{plural(int(n), 'run')} · {percent(r)} of runs started on {a or '?'} · {money(c, unknown='cost unknown')}"
         for n, r, a, c in zip(pairs.escalated_runs, pairs.rate, pairs.from_model, pairs.escalation_cost_usd,
                               strict=True)],
        [color_of(b, ctx.colors) for b in pairs.to_model], right=360,
    ), "esc_pairs")

st.subheader("Explicit vs inferred by task")
st.dataframe(pd.DataFrame({
    "task": by_task["task"],
    "runs": by_task["runs"],
    "escalation rate": [percent(v) for v in by_task["escalation_rate"]],
    "explicit": [f"{n} ({percent(r)})" for n, r in zip(by_task.explicit_runs, by_task.explicit_rate, strict=True)],
    "inferred": [f"{n} ({percent(r)})" for n, r in zip(by_task.inferred_runs, by_task.inferred_rate, strict=True)],
    "cost of escalated runs": [money(v, unknown="—") for v in by_task["escalation_cost_usd"]],
    "failed verifications": by_task["failed_verifications"],
}), hide_index=True, width="stretch")
st.caption("Cost of escalated runs = the failed cheap attempt plus the retry on the pricier model.")
