"""Weekly review: open any stored review snapshot, or generate the current (or any) week's review.

Reviews are produced and stored by ``modelmix.review``; this page only lists, shows and triggers them.
"""

from __future__ import annotations

import importlib.util

import streamlit as st
import streamlit.components.v1 as components

from app import context, data
from app.format import plain, when

ctx = context.current()
st.title("Weekly review")

if importlib.util.find_spec("modelmix.review") is None:
    st.info("The weekly review is not part of this installation. When it is, this page lists the stored "
            "review snapshots, opens any of them, and generates the current week's.", icon=":material/schedule:")
    st.stop()

from modelmix.review import SnapshotNotFound, iso_week_of, last_complete_week  # noqa: E402

st.caption("A review compares one ISO week (Monday to Sunday, UTC) with the week before and names the three "
           "things to do next. Each one is stored as generated, so a past week reads the same after repricing.")

with st.form("rv_generate"):
    this_week, last_week = iso_week_of(ctx.now), last_complete_week(ctx.now)
    cols = st.columns([2, 3])
    week = cols[0].text_input("Week (YYYY-Www)", value=this_week, max_chars=10, key="rv_week",
                              help=f"This week is {this_week} (still running); the last complete one is {last_week}.")
    cols[1].write("")
    generate = st.form_submit_button("Generate review", type="primary")
if generate:
    try:
        with st.spinner(f"Generating the review of {plain(week, 12)}…"):
            new_id = data.generate_review(ctx.db, (week or "").strip())
    except ValueError as exc:
        st.error(f"Not generated: {plain(exc, 200)}")
    else:
        st.session_state["rv_pick"] = new_id
        st.rerun()

stored = data.review_list(ctx.db)
if not stored:
    st.info("No review has been generated yet. Generate one above, or run `modelmix review`.")
    st.stop()

labels = {sid: f"{week} · generated {when(at)}" for sid, week, at in stored}
if st.session_state.get("rv_pick") not in labels:
    st.session_state.pop("rv_pick", None)
chosen = st.selectbox("Stored reviews", list(labels), format_func=lambda sid: labels[sid], key="rv_pick")
if chosen is None:
    st.stop()
try:
    week, generated_at, markdown, html = data.review_snapshot(ctx.db, int(chosen))
except SnapshotNotFound:
    data.clear()
    st.warning("That review is no longer stored; the list was refreshed.")
    st.stop()

if week == iso_week_of(generated_at):
    st.caption(f"Generated on {when(generated_at)} while the week was still running: it covers the days so far.")
tab_page, tab_text = st.tabs(["Review", "Markdown"])
with tab_page:
    components.html(html, height=1400, scrolling=True)
with tab_text:
    st.markdown(markdown)
downloads = st.columns(4)
downloads[0].download_button("Download HTML", html, file_name=f"modelmix-review-{week}.html", mime="text/html",
                        key="rv_dl_html")
downloads[1].download_button("Download Markdown", markdown, file_name=f"modelmix-review-{week}.md",
                        mime="text/markdown", key="rv_dl_md")
