"""Tasks: what one run of each task costs (distribution), which tasks spend most, trends, and drill-down
from a task to its runs to the calls of one run."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, context, data, ui
from app.format import count, money, percent, tokens, when

RUNS_SHOWN = 200
HISTOGRAM_RUNS = 5_000
TREND_TASKS = 6
TREND_MEASURES = {"cost_per_run_p50": "Median cost per run", "cost_per_run_mean": "Mean cost per run",
                  "spend_usd": "Spend"}

ctx = context.current()
st.title("Tasks")
ctx.caption()
ctx.require_data()

costs = data.task_costs(ctx.db, ctx.filters)
ctx.require_calls_in_window(int(costs["calls"].sum()) if not costs.empty else 0)

left, right = st.columns([3, 2])
with left:
    st.subheader("Cost per run")
    st.caption("Median (dot) to p95 (bar end) of each task's run cost, labelled p50 – p95; the diamond is the mean. "
               "Runs with an unpriced call are left out of the distribution.")
    ui.plot(charts.run_cost_ranges(costs), "tasks_ranges")
with right:
    st.subheader("Top tasks by spend")
    ui.plot(charts.share_bars(costs, "task", "priced_spend_usd", "share_spend", None, "cost", top=10), "tasks_spend")

table = pd.DataFrame({
    "task": costs["task"],
    "runs": costs["runs"],
    "calls per run": [f"{v:.2f}" if v == v and v is not None else "—" for v in costs["calls_per_run"]],
    "mean / run": [money(v) for v in costs["cost_per_run_mean"]],
    "p50 / run": [money(v) for v in costs["cost_per_run_p50"]],
    "p95 / run": [money(v) for v in costs["cost_per_run_p95"]],
    "spend": [money(v) for v in costs["priced_spend_usd"]],
    "share of spend": [percent(v) for v in costs["share_spend"]],
    "escalation rate": [percent(v) for v in costs["escalation_rate"]],
    "unpriced runs": costs["unpriced_runs"],
})
st.dataframe(table, hide_index=True, width="stretch")

st.subheader("Trend")
trend_measure = st.segmented_control(
    "Show", list(TREND_MEASURES), default="cost_per_run_p50", key="tasks_trend",
    format_func=lambda m: TREND_MEASURES[m],
) or "cost_per_run_p50"
top_tasks = costs["task"].head(TREND_TASKS).tolist()
trend = data.task_cost_trend(ctx.db, ctx.filters.with_tasks(*top_tasks), ctx.bucket)  # only what is drawn
ui.plot(charts.lines_with_end_labels(trend, "bucket", trend_measure, "task", ctx.task_colors, "$,.4~f",
                                     top=top_tasks), "tasks_trend_chart")
if len(costs) > TREND_TASKS:
    st.caption(f"The {TREND_TASKS} tasks with the most spend are drawn.")

st.subheader("Drill down")
task = st.selectbox("Task", costs["task"].tolist(), key="tasks_pick")
if task:
    runs = data.task_runs(ctx.db, ctx.filters, task, RUNS_SHOWN)
    sample = data.task_runs(ctx.db, ctx.filters, task, HISTOGRAM_RUNS)
    ui.plot(charts.histogram(sample["cost_usd"], "cost per run"), "tasks_hist")
    if len(sample) == HISTOGRAM_RUNS:
        st.caption(f"Histogram of the newest {HISTOGRAM_RUNS:,} runs.")
    st.caption(f"Newest {min(len(runs), RUNS_SHOWN)} runs of {task}.")
    st.dataframe(pd.DataFrame({
        "started": [when(t) for t in runs["start_time"]],
        "service": runs["service"],
        "calls": runs["calls"],
        "first model": runs["first_model"],
        "final model": runs["final_model"],
        "escalation": runs["escalation"].fillna(""),
        "cost": [money(v) for v in runs["cost_usd"]],
        "tokens in": [tokens(v) for v in runs["input_tokens"]],
        "verification": runs["verification"].fillna(""),
        "trace": runs["trace_id"],
    }), hide_index=True, width="stretch", height=300)

    labels = {row.trace_id: f"{when(row.start_time)} · {row.calls} calls · {money(row.cost_usd)} · "
                            f"{row.final_model or '?'}" for row in runs.itertuples()}
    trace_id = st.selectbox("Run", list(labels), format_func=lambda t: labels[t], key="tasks_run", index=None,
                            placeholder="Pick a run to see its calls")
    if trace_id:
        calls = data.run_calls(ctx.db, trace_id)
        st.caption(f"Calls of trace `{trace_id}` in start order ({count(len(calls))}). Content is never stored.")
        st.dataframe(pd.DataFrame({
            "started": [when(t) for t in calls["start_time"]],
            "model": calls["canonical_model"],
            "served as": calls["response_model"],
            "provider": calls["provider"],
            "status": calls["status"],
            "in": [tokens(v) for v in calls["input_tokens"]],
            "cached": [tokens(v) for v in calls["cache_read_tokens"]],
            "out": [tokens(v) for v in calls["output_tokens"]],
            "cost": [money(v) for v in calls["cost_usd"]],
            "price source": calls["price_source"].fillna("unpriced"),
            "escalation": calls["escalation"].fillna(""),
            "span": calls["span_name"],
            "ms": calls["duration_ms"].round(0),
        }), hide_index=True, width="stretch")
