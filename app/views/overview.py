"""Overview: the window's headline numbers with their change from the previous window, and the mix over time."""

from __future__ import annotations

import streamlit as st

from app import charts, context, data, ui
from app.format import change, count, money, percent, points
from modelmix.analytics.convert import ratio

ctx = context.current()
st.title("Overview")
ctx.caption()
ctx.require_data()

ov = data.overview(ctx.db, ctx.filters)
now, before = ov.current, ov.previous
ctx.require_calls_in_window(now.calls)
compare = ctx.view.previous_label()

with st.spinner("Looking for downgrade candidates…"):
    avoidable = data.avoidable_spend(ctx.db, ctx.filters)
    avoidable_before = data.avoidable_spend(ctx.db, ctx.filters.previous())

cols = st.columns(6)
cols[0].metric("Spend", money(now.cost_usd), change(ov.change("cost_usd")), delta_color="inverse",
               help=f"Known spend of priced calls, {compare}. Unpriced calls are counted apart, never as $0.")
cols[1].metric("LLM calls", count(now.calls), change(ov.change("calls")), delta_color="off",
               help=f"{count(now.errors)} failed · {count(now.embedding_calls)} embedding calls counted apart.")
cols[2].metric("Frontier share", percent(now.frontier_share_calls),
               points(now.frontier_share_calls, before.frontier_share_calls), delta_color="inverse",
               help=f"Share of calls on frontier-tier models ({percent(now.frontier_share_cost)} of known spend).")
avoidable_change = None if avoidable_before == 0 else ratio(avoidable - avoidable_before, avoidable_before)
cols[3].metric("Avoidable spend", money(avoidable), change(avoidable_change), delta_color="inverse",
               help="Estimated: the sum of the downgrade candidates' savings: calls a cheaper model would very likely handle, "
                    "net of the escalations routing them down would cause.")
cols[4].metric("Escalation rate", percent(now.escalation_rate),
               points(now.escalation_rate, before.escalation_rate), delta_color="inverse",
               help=f"{count(now.escalated_runs)} of {count(now.task_runs)} task runs cascaded to a pricier model.")
cols[5].metric("Unpriced calls", count(now.unpriced_calls), change(ov.change("unpriced_calls")),
               delta_color="inverse", help="Calls whose model has no known price; add one on Prices & tiers.")
st.caption(f"Changes are {compare}.")
if now.unpriced_calls:
    st.page_link("views/prices.py", label=f"{count(now.unpriced_calls)} calls have no price — set one",
                 icon=":material/sell:")

st.subheader("Model mix over time")
measure = st.segmented_control("Measure", ["calls", "cost", "tokens"], default="cost", key="ov_measure",
                               format_func=str.capitalize) or "cost"
series = data.mix_series(ctx.db, ctx.filters, ctx.bucket, "model", measure)
ui.plot(charts.stacked_over_time(series, "model", ctx.colors, measure), "ov_mix_chart")

left, right = st.columns(2)
with left:
    st.subheader("Spend by model")
    totals = data.mix_totals(ctx.db, ctx.filters, "model", "cost")
    ui.plot(charts.share_bars(totals, "model", "value", "share", ctx.colors, "cost", top=10), "ov_model_bars")
with right:
    st.subheader("Spend by tier")
    tiers = data.mix_totals(ctx.db, ctx.filters, "tier", "cost")
    ui.plot(charts.share_bars(tiers, "tier", "value", "share", ctx.colors, "cost"), "ov_tier_bars")
