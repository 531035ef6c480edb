"""Downgrade candidates: calls on an expensive model a cheaper one would very likely handle, ranked by
savings, each with its confidence and the evidence behind it; one click carries it into What-if."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, context, data, rules, ui
from app.format import count, money, percent, plural, tokens, when
from modelmix.analytics import candidates_frame

SHOWN = 25
SAMPLE_CALLS = 20

ctx = context.current()
st.title("Downgrade candidates")
ctx.caption()
ctx.require_data()


with st.spinner("Comparing models per task…"):
    found = data.candidates(ctx.db, ctx.filters)
    avoidable = data.avoidable_spend(ctx.db, ctx.filters)

if not found:
    ov = data.overview(ctx.db, ctx.filters)
    ctx.require_calls_in_window(ov.current.calls)
    st.info("No downgrade candidates in this window: no (task, model) group has a cheaper model with "
            "evidence of doing the job, and no group of simple calls has a cheaper sibling.",
            icon=":material/check_circle:")
    st.stop()

cols = st.columns(3)
cols[0].metric("Estimated avoidable spend", money(avoidable),
               help="Sum of the savings below, net of the escalations routing down would cause.")
cols[1].metric("Candidates", count(len(found)))
cols[2].metric("High-confidence", count(sum(1 for c in found if c.confidence == "high")))

frame = candidates_frame(found)
ui.plot(charts.savings_bars(frame), "cand_bars")
st.caption("Confidence: high = evidence from ≥ 100 runs with a low failure bound; medium = ≥ 30 runs; "
           "low = little evidence, or a heuristic (simple calls and a cheaper sibling).")

for n, c in enumerate(found[:SHOWN]):
    title = (f"**{c.task}** · {c.model} → {c.suggested_model} — saves {money(c.savings_usd)} "
             f"({c.confidence} confidence, {c.kind})")
    with st.expander(title, expanded=n == 0):
        m = st.columns(4)
        m[0].metric("Current spend", money(c.current_cost_usd))
        m[1].metric("Projected", money(c.projected_cost_usd))
        m[2].metric("Savings", money(c.savings_usd))
        m[3].metric("Calls", count(c.calls))
        st.markdown(f"**Basis.** {c.basis}")
        st.markdown(
            f"Assumes {percent(c.expected_escalation_rate)} of calls escalate back to {c.model}. "
            f"Mean size {tokens(c.mean_input_tokens)} input / {tokens(c.mean_output_tokens)} output tokens."
            + (f" {plural(c.unpriced_calls, 'unpriced call')} left out." if c.unpriced_calls else "")
        )
        if st.button("Try in What-if", key=f"cand_try_{n}", icon=":material/alt_route:"):
            rules.add_rule(c.task, c.model, c.suggested_model, c.expected_escalation_rate)
            st.switch_page("views/what_if.py")
        if st.toggle("Show sample calls", key=f"cand_calls_{n}"):
            sample = data.candidate_calls(ctx.db, ctx.filters, c.task, c.model, SAMPLE_CALLS)
            st.dataframe(pd.DataFrame({
                "started": [when(t) for t in sample["start_time"]],
                "service": sample["service"],
                "served as": sample["response_model"],
                "in": [tokens(v) for v in sample["input_tokens"]],
                "out": [tokens(v) for v in sample["output_tokens"]],
                "finish": sample["finish_reason"].fillna(""),
                "cost": [money(v) for v in sample["cost_usd"]],
                "trace": sample["trace_id"],
            }), hide_index=True, width="stretch")
if len(found) > SHOWN:
    st.caption(f"The {SHOWN} largest of {len(found)} candidates are listed.")

if rules.stored_rows():
    st.page_link("views/what_if.py", label=f"Open What-if with {len(rules.stored_rows())} rule(s)",
                 icon=":material/alt_route:")
