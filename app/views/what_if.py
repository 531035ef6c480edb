"""What-if: route some calls to other models and see projected spend and mix next to the actual ones.

Rules are edited in a table (or added with the form); each moves the calls of a task (or of every
task) on one model to another, with an assumed share that escalates back. Pricing of the moved calls
is the analytics module's (their own tokens at the new model's price in force at the time).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, context, data, rules, ui
from app.format import change, count, money, percent
from modelmix.analytics.convert import ratio

ctx = context.current()
st.title("What-if")
ctx.caption()
ctx.require_data()

models = sorted(ctx.model_tiers)
st.subheader("Routing rules")
st.caption("First matching rule wins. The escalation rate is the share of moved calls expected to fail "
           "on the new model and be retried on the original one (their current cost is added back).")
table = pd.DataFrame(rules.stored_rows(), columns=list(rules.COLUMNS))
edited = st.data_editor(
    table, key=rules.editor_key(), on_change=rules.apply_editor_changes, num_rows="dynamic", hide_index=True,
    width="stretch",
    column_config={
        "task": st.column_config.SelectboxColumn("task", options=[rules.ANY_TASK, *ctx.tasks], required=True,
                                                 default=rules.ANY_TASK),
        "from_model": st.column_config.SelectboxColumn("from model", options=models, required=True),
        "to_model": st.column_config.TextColumn("to model", help="Any model the price book knows", max_chars=200),
        "escalation_pct": st.column_config.NumberColumn("escalates back (%)", min_value=0.0, max_value=100.0,
                                                        step=0.5, default=0.0, format="%.1f%%"),
    },
)

with st.expander("Add a rule", expanded=table.empty):
    with st.form("wi_add", clear_on_submit=False):
        cols = st.columns(4)
        task = cols[0].selectbox("Task", [rules.ANY_TASK, *ctx.tasks], key="wi_task")
        src = cols[1].selectbox("From model", models, key="wi_from", index=None, placeholder="Choose a model")
        dst = cols[2].text_input("To model", key="wi_to", max_chars=200, placeholder="e.g. gpt-4o-mini")
        pct = cols[3].text_input("Escalates back (%)", value="0", key="wi_pct")
        if st.form_submit_button("Add rule"):
            parsed, problems = rules.parse_rows([{"task": task, "from_model": src, "to_model": dst,
                                                  "escalation_pct": pct}])
            if problems:
                for problem in problems:
                    st.error(problem.replace("Rule 1: ", ""))
            else:
                rules.add_rule(*parsed[0])
                st.rerun()

parsed_rules, problems = rules.parse_rows(edited.to_dict("records"))
for problem in problems:
    st.error(problem)
if not parsed_rules:
    st.info("Add a rule above, or carry a downgrade candidate over from its page, to see a projection.")
    st.page_link("views/candidates.py", label="Downgrade candidates", icon=":material/savings:")
    st.stop()
st.button("Clear all rules", on_click=rules.clear_rules, key="wi_clear")

result = data.what_if(ctx.db, ctx.filters, tuple(parsed_rules))
st.subheader("Projected vs actual")
m = st.columns(4)
m[0].metric("Actual spend", money(result.actual_cost_usd))
m[1].metric("Projected spend", money(result.projected_cost_usd),
            change(ratio(result.projected_cost_usd - result.actual_cost_usd, result.actual_cost_usd)),
            delta_color="inverse")
m[2].metric("Savings", money(result.savings_usd))
m[3].metric("Calls moved", count(result.moved_calls))
if result.unpriceable_calls:
    st.warning(f"{count(result.unpriceable_calls)} calls match a rule but their new model has no known price; "
               "they are kept at their actual cost. Add a price on Prices & tiers.")
if result.unpriced_calls:
    st.caption(f"{count(result.unpriced_calls)} calls have no actual cost and are left out of both sides.")

st.caption("Spend per model: the colored bar is projected under the rules, the grey bar below it is actual.")
ui.plot(charts.actual_vs_projected(result.actual_mix, result.projected_mix, ctx.colors), "wi_chart")

left, right = st.columns(2)
with left:
    st.markdown("**Per rule**")
    st.dataframe(pd.DataFrame({
        "task": [t if isinstance(t, str) and t else rules.ANY_TASK for t in result.by_rule["task"]],
        "move": [f"{a} → {b}" for a, b in zip(result.by_rule.from_model, result.by_rule.to_model, strict=True)],
        "calls moved": result.by_rule["moved_calls"],
        "actual": [money(v) for v in result.by_rule["actual_cost_usd"]],
        "projected": [money(v) for v in result.by_rule["projected_cost_usd"]],
    }), hide_index=True, width="stretch")
with right:
    st.markdown("**Mix of priced calls**")
    mix = result.actual_mix[["model", "share_calls"]].merge(
        result.projected_mix[["model", "share_calls"]], on="model", how="outer", suffixes=("_actual", "_projected"))
    st.dataframe(pd.DataFrame({
        "model": mix["model"],
        "actual share of calls": [percent(v) for v in mix["share_calls_actual"]],
        "projected share of calls": [percent(v) for v in mix["share_calls_projected"]],
    }), hide_index=True, width="stretch")
