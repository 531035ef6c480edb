"""Calls explorer: filter and page through individual calls (never their content) and download them as CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import context, data
from app.format import plain, when

PAGE_SIZES = (25, 50, 100, 250)
CSV_MAX_ROWS = 100_000
MAX_SEARCH = 100
ANY = "(any)"

ctx = context.current()
st.title("Calls explorer")
ctx.caption()
ctx.require_data()

cols = st.columns([2, 1, 2, 1])
model = cols[0].selectbox("Model", [ANY, *sorted(ctx.model_tiers)], key="calls_model")
status = cols[1].selectbox("Status", [ANY, "ok", "error"], key="calls_status")
search = cols[2].text_input("Search", key="calls_search", max_chars=MAX_SEARCH,
                            placeholder="model, span name, task or error type")
size = cols[3].selectbox("Rows per page", PAGE_SIZES, index=1, key="calls_size")

search_text = (search or "").strip()
if any(not ch.isprintable() for ch in search_text):
    st.error("The search text contains control characters; remove them to search.")
    st.stop()
selection = (None if model == ANY else model, None if status == ANY else status, search_text or None)
if st.session_state.get("calls_selection") != (selection, size, ctx.filters):
    st.session_state["calls_selection"] = (selection, size, ctx.filters)
    st.session_state["calls_page"] = 1

page = int(st.session_state.get("calls_page", 1))
rows = data.calls_page(ctx.db, ctx.filters, *selection, limit=size, offset=(page - 1) * size)
if rows.empty and page == 1:
    st.info("No calls match these filters in this window." + (f" (search: “{plain(search_text)}”)"
                                                               if search_text else ""))
    st.stop()

first = (page - 1) * size + 1
st.caption(f"Calls {first:,}–{first + len(rows) - 1:,}, newest first. Prompts and completions are never stored "
           "here unless the operator enabled MODELMIX_CAPTURE_CONTENT, and this table never shows them.")
table = pd.DataFrame({
    "started": [when(t) for t in rows["start_time"]],
    "service": rows["service"],
    "task": rows["task"].fillna(""),
    "model": rows["canonical_model"].fillna(""),
    "status": rows["status"],
    "input": rows["input_tokens"],
    "output": rows["output_tokens"],
    "cost": rows["cost_usd"],
    "cached": rows["cache_read_tokens"],
    "served as": rows["response_model"].fillna(""),
    "provider": rows["provider"].fillna(""),
    "env": rows["environment"].fillna(""),
    "price source": rows["price_source"].fillna("unpriced"),
    "escalation": rows["escalation"].fillna(""),
    "ms": rows["duration_ms"].round(0),
    "trace": rows["trace_id"],
    "span": rows["span_id"],
})
st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 740),
             column_config={"cost": st.column_config.NumberColumn("cost (USD)", format="$%.6f"),
                            "input": st.column_config.NumberColumn(format="%d"),
                            "cached": st.column_config.NumberColumn(format="%d"),
                            "output": st.column_config.NumberColumn(format="%d")})

nav = st.columns([1, 1, 4, 2])


def _turn(delta: int) -> None:
    st.session_state["calls_page"] = max(1, int(st.session_state.get("calls_page", 1)) + delta)


nav[0].button("← Newer", disabled=page <= 1, on_click=_turn, args=(-1,), key="calls_prev")
nav[1].button("Older →", disabled=len(rows) < size, on_click=_turn, args=(1,), key="calls_next")
nav[2].caption(f"Page {page}")
nav[3].download_button(
    "Download CSV", data=lambda: data.calls_csv(ctx.db, ctx.filters, *selection, max_rows=CSV_MAX_ROWS),
    file_name=f"modelmix-calls-{ctx.filters.since:%Y%m%d}-{ctx.filters.until:%Y%m%d}.csv", mime="text/csv",
    key="calls_csv", help=f"Every call matching these filters, up to {CSV_MAX_ROWS:,} rows.",
)
