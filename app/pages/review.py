"""Weekly review: stored review snapshots, and generating the current week's (when the review module exists)."""

from __future__ import annotations

import importlib.util

import streamlit as st

from app import context

ctx = context.current()
st.title("Weekly review")

if importlib.util.find_spec("modelmix.review") is None:
    st.info("The weekly review is not part of this installation yet. When it is, this page lists the stored "
            "review snapshots, opens any of them, and generates the current week's.", icon=":material/schedule:")
    st.stop()

st.info("The weekly review module is installed; its page is coming in the next release.")
