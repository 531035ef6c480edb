"""Model mix: share by model, tier or provider in calls, tokens or cost; over time; per service and task."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, context, data, ui
from app.format import count, money, percent, tokens

ctx = context.current()
st.title("Model mix")
ctx.caption()
ctx.require_data()

controls = st.columns([2, 2, 3])
with controls[0]:
    by = st.segmented_control("Group by", ["model", "tier", "provider"], default="model", key="mix_by",
                              format_func=str.capitalize) or "model"
with controls[1]:
    measure = st.segmented_control("Share of", ["calls", "tokens", "cost"], default="calls", key="mix_measure",
                                   format_func=str.capitalize) or "calls"

totals = data.mix_totals(ctx.db, ctx.filters, by, measure)
ctx.require_calls_in_window(int(totals["calls"].sum()) if not totals.empty else 0)
unpriced = int(totals["unpriced_calls"].sum())
if measure == "cost" and unpriced:
    st.caption(f"Cost shares are of known spend; {count(unpriced)} unpriced calls are left out (never counted as $0).")
if measure == "tokens" and int(totals["calls_missing_tokens"].sum()):
    st.caption(f"{count(int(totals['calls_missing_tokens'].sum()))} calls reported no token counts and add "
               "nothing to token shares.")

left, right = st.columns([2, 3])
with left:
    st.subheader(f"Share of {measure} by {by}")
    ui.plot(charts.share_bars(totals, by, "value", "share", ctx.colors, measure), "mix_share_bars")
with right:
    st.subheader("Over time")
    series = data.mix_series(ctx.db, ctx.filters, ctx.bucket, by, measure)
    ui.plot(charts.stacked_over_time(series, by, ctx.colors, measure), "mix_over_time")

st.subheader("Breakdown")
tab_service, tab_task, tab_env = st.tabs(["By service", "By task", "By environment"])
for tab, split in ((tab_service, "service"), (tab_task, "task"), (tab_env, "environment")):
    with tab:
        breakdown = data.mix_breakdown(ctx.db, ctx.filters, by, split, measure)
        ui.plot(charts.breakdown_bars(breakdown, split, by, ctx.colors, measure), f"mix_breakdown_{split}")

st.subheader("Models in this window")
models = data.model_mix(ctx.db, ctx.filters)
st.dataframe(pd.DataFrame({
    "model": models["model"],
    "provider": models["provider"],
    "tier": [t or "unknown" for t in models["tier"]],
    "calls": models["calls"],
    "errors": models["errors"],
    "share of calls": [percent(v) for v in models["share_calls"]],
    "input tokens": [tokens(v) for v in models["input_tokens"]],
    "output tokens": [tokens(v) for v in models["output_tokens"]],
    "cached input": [tokens(v) for v in models["cached_input_tokens"]],
    "spend": [money(v) for v in models["cost_usd"]],
    "share of spend": [percent(v) for v in models["share_cost"]],
    "unpriced calls": models["unpriced_calls"],
}), hide_index=True, width="stretch")
