"""What every page needs, prepared once per run by ``main.py``: settings, database, filters, colors.

``main.py`` builds a ``PageContext`` after sign-in and the global filters, and stores it for the page
script it then runs; pages call ``current()``. ``require_data`` and ``require_calls_in_window`` put
the empty states in one place so every page says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import streamlit as st

from app.data import Db
from app.filters import View
from modelmix.analytics import Filters
from modelmix.analytics.dashboard_extra import DataExtent
from modelmix.settings import Settings

CONTEXT_KEY = "mm_context"


@dataclass(frozen=True)
class PageContext:
    settings: Settings
    db: Db
    view: View
    filters: Filters
    extent: DataExtent
    services: tuple[str, ...]
    environments: tuple[str, ...]
    tasks: tuple[str, ...]
    colors: dict[str, str]  # model or tier → color
    task_colors: dict[str, str]  # task → color
    model_tiers: dict[str, str]  # canonical model → tier ('' unknown)
    now: datetime

    @property
    def bucket(self) -> str:
        """Time bucket for charts: hours for short windows, weeks for long ones, else days."""
        days = self.filters.length.total_seconds() / 86_400
        return "hour" if days <= 2 else "week" if days > 120 else "day"

    def caption(self) -> None:
        scope = []
        if self.view.services:
            scope.append("service " + ", ".join(self.view.services))
        if self.view.environments:
            scope.append("environment " + ", ".join(e or "(unknown)" for e in self.view.environments))
        label = self.view.label()
        st.caption(label[:1].upper() + label[1:] + (f" · {' · '.join(scope)}" if scope else "")
                   + " · times in UTC")

    def require_data(self) -> None:
        """Stop the page with the onboarding panel when nothing has been stored yet."""
        if self.extent.empty:
            from app.onboarding import render_empty_state

            render_empty_state(self)
            st.stop()

    def require_calls_in_window(self, calls: int) -> None:
        """Stop the page with a pointer to where the data is when the window holds no calls."""
        if calls == 0:
            from app.onboarding import render_empty_window

            render_empty_window(self)
            st.stop()


def store(context: PageContext) -> None:
    st.session_state[CONTEXT_KEY] = context


def current() -> PageContext:
    context = st.session_state.get(CONTEXT_KEY)
    if not isinstance(context, PageContext):
        st.error("This page must be opened through the dashboard's main script (`streamlit run app/main.py`).")
        st.stop()
    return context
