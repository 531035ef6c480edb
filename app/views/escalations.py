"""Escalations: how often runs cascade to a pricier model — per task over time, per model pair,
explicit (marked by the service) apart from inferred (guessed from call structure) — and what it costs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, context, data
from app.format import count, money, percent

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
trend = data.escalation_trend_by_task(ctx.db, ctx.filters, ctx.bucket)
busiest = by_task.sort_values("runs", ascending=False)["task"].head(TREND_TASKS).tolist()
st.plotly_chart(charts.lines_with_end_labels(trend, "bucket", "rate", "task", {}, ".0%", top=busiest),
                width="stretch", key="esc_trend")
if len(by_task) > TREND_TASKS:
    st.caption(f"The {TREND_TASKS} tasks with the most runs are drawn.")

left, right = st.columns(2)
with left:
    st.subheader("Model pairs")
    pairs = esc.by_pair
    if pairs.empty:
        st.info("No escalations in this window.")
    else:
        st.plotly_chart(charts.labelled_bars(
            [f"{a or '?'} → {b or '?'}" for a, b in zip(pairs.from_model, pairs.to_model, strict=True)],
            list(pairs.escalated_runs),
            [f"{n} runs · {percent(r)} of runs on {a or '?'} · {money(c)}"
             for n, r, a, c in zip(pairs.escalated_runs, pairs.rate, pairs.from_model, pairs.escalation_cost_usd,
                                   strict=True)],
            [ctx.colors.get(b, "#7B3FBF") for b in pairs.to_model],
        ), width="stretch", key="esc_pairs")
with right:
    st.subheader("Explicit vs inferred by task")
    st.dataframe(pd.DataFrame({
        "task": by_task["task"],
        "runs": by_task["runs"],
        "rate": [percent(v) for v in by_task["escalation_rate"]],
        "explicit": [f"{n} ({percent(r)})" for n, r in zip(by_task.explicit_runs, by_task.explicit_rate, strict=True)],
        "inferred": [f"{n} ({percent(r)})" for n, r in zip(by_task.inferred_runs, by_task.inferred_rate, strict=True)],
        "cost of escalated runs": [money(v, unknown="—") for v in by_task["escalation_cost_usd"]],
        "failed verifications": by_task["failed_verifications"],
    }), hide_index=True, width="stretch")
st.caption("Cost of escalated runs = the failed cheap attempt plus the retry on the pricier model.")
