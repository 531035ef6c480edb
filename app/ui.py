"""Small display helpers shared by the pages: one way to show a chart."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

CHART_CONFIG = {"displayModeBar": False, "displaylogo": False}


def plot(figure: go.Figure, key: str) -> None:
    """A chart at full width, without Plotly's toolbar (it covers labels and adds nothing here)."""
    st.plotly_chart(figure, width="stretch", key=key, config=CHART_CONFIG)
