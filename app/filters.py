"""Global filters (time range, service, environment) kept in the URL query string.

A view is shareable by link: ``?days=30&service=api&env=prod`` or ``?from=2026-11-02&to=2026-11-08``
(dates inclusive, UTC). ``parse_query`` is pure: whatever arrives in the URL — bad dates, unknown
services, SQL metacharacters, thousands of values — falls back to the defaults with a notice the
page shows, never an exception. ``render_sidebar`` draws the widgets and writes the URL back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import streamlit as st

from app.format import plain
from modelmix.analytics import Filters

DEFAULT_DAYS = 7
MAX_DAYS = 400
PRESET_DAYS = (1, 7, 14, 30, 90, 180, 365)
MAX_VALUES = 50
UNKNOWN_ENV_LABEL = "(unknown)"
FILTER_KEYS = ("days", "from", "to", "service", "env")
EARLIEST_DATE = date(2000, 1, 1)
FUTURE_DAYS = 400  # how far ahead a date range may end
VIEW_KEY = "mm_view"  # the last view, kept outside widget state so it survives page switches
CUSTOM = 0  # the time-range choice "custom dates" (a selectbox shows its placeholder for None)


@dataclass(frozen=True)
class View:
    """The global filters as the user sees them: a relative window (``days``) or an inclusive date range."""

    days: int | None = DEFAULT_DAYS
    start: date | None = None
    end: date | None = None
    services: tuple[str, ...] = field(default=())
    environments: tuple[str, ...] = field(default=())

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """``[since, until)`` in UTC. A relative window ends at the next whole hour (stable for caching)."""
        if self.start is not None and self.end is not None:
            since = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
            return since, datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC) + timedelta(days=1)
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        return hour - timedelta(days=self.days or DEFAULT_DAYS), hour

    def filters(self, now: datetime) -> Filters:
        since, until = self.window(now)
        return Filters(since, until, services=self.services, environments=self.environments)

    def label(self) -> str:
        if self.start is not None and self.end is not None:
            return f"{self.start.isoformat()} to {self.end.isoformat()} (UTC)"
        return "the last 24 hours" if self.days == 1 else f"the last {self.days} days"

    def previous_label(self) -> str:
        if self.start is not None and self.end is not None:
            return f"vs the {(self.end - self.start).days + 1} days before"
        return "vs the 24 hours before" if self.days == 1 else f"vs the {self.days} days before"

    def to_query(self) -> dict[str, str | list[str]]:
        query: dict[str, str | list[str]] = {}
        if self.start is not None and self.end is not None:
            query["from"], query["to"] = self.start.isoformat(), self.end.isoformat()
        else:
            query["days"] = str(self.days or DEFAULT_DAYS)
        if self.services:
            query["service"] = list(self.services)
        if self.environments:
            query["env"] = [e or UNKNOWN_ENV_LABEL for e in self.environments]
        return query


def _date(raw: str) -> date | None:
    text = raw.strip()
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _last(params: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = params.get(key) or []
    return str(values[-1]) if values else None


def _known(name: str, raw: Sequence[str], known: Sequence[str], notices: list[str]) -> tuple[str, ...]:
    picked: list[str] = []
    unknown: list[str] = []
    for value in list(raw)[:MAX_VALUES]:
        (picked if value in known else unknown).append(value)
    if len(raw) > MAX_VALUES:
        notices.append(f"Only the first {MAX_VALUES} {name} values in the link were read.")
    if unknown:
        shown = ", ".join(f"“{plain(v, 40)}”" for v in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        notices.append(f"Ignored unknown {name} in the link: {shown}.")
    return tuple(dict.fromkeys(picked))


def parse_query(params: Mapping[str, Sequence[str]], services: Sequence[str], environments: Sequence[str],
                today: date) -> tuple[View, list[str]]:
    """The view a query string asks for, and a notice for everything in it that was ignored.

    ``params`` maps each key to all its values (``st.query_params.get_all``); ``services`` and
    ``environments`` are the values known in the data ('' = unknown environment)."""
    notices: list[str] = []
    days: int | None = DEFAULT_DAYS
    start = end = None
    raw_from, raw_to, raw_days = _last(params, "from"), _last(params, "to"), _last(params, "days")
    if raw_from is not None or raw_to is not None:
        start, end = _date(raw_from or ""), _date(raw_to or "")
        problem = None
        if start is None or end is None:
            problem = "is not a pair of YYYY-MM-DD dates"
        elif start > end:
            problem = "ends before it starts"
        elif (end - start).days + 1 > MAX_DAYS:
            problem = f"is longer than {MAX_DAYS} days"
        elif start > today + timedelta(days=1):
            problem = "starts in the future"
        elif start < EARLIEST_DATE or end > today + timedelta(days=FUTURE_DAYS):
            problem = f"lies outside {EARLIEST_DATE.year} to {FUTURE_DAYS} days from now"
        if problem:
            notices.append(f"The date range in the link {problem}; showing the last {DEFAULT_DAYS} days instead.")
            start = end = None
        else:
            days = None
    elif raw_days is not None:
        text = raw_days.strip()
        if text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_DAYS:
            days = int(text)
        else:
            notices.append(f"“{plain(raw_days, 20)}” is not a number of days from 1 to {MAX_DAYS}; "
                           f"showing the last {DEFAULT_DAYS} days instead.")
    picked_services = _known("service", list(params.get("service") or []), services, notices)
    env_values = [UNKNOWN_ENV_LABEL if e == "" else e for e in environments]
    picked_envs = _known("environment", list(params.get("env") or []), env_values, notices)
    return View(
        days=days, start=start, end=end, services=picked_services,
        environments=tuple("" if e == UNKNOWN_ENV_LABEL else e for e in picked_envs),
    ), notices


def _query_dict() -> dict[str, list[str]]:
    return {key: list(st.query_params.get_all(key)) for key in FILTER_KEYS if key in st.query_params}


def _range_label(days: int) -> str:
    if days == CUSTOM:
        return "Custom dates"
    return "Last 24 hours" if days == 1 else f"Last {days} days"


def _apply_to_widgets(view: View) -> None:
    st.session_state["mm_range"] = view.days or CUSTOM
    if view.start is not None and view.end is not None:
        st.session_state["mm_dates"] = (view.start, view.end)
    st.session_state["mm_services"] = list(view.services)
    st.session_state["mm_envs"] = [e or UNKNOWN_ENV_LABEL for e in view.environments]


def render_sidebar(services: Sequence[str], environments: Sequence[str], today: date) -> tuple[View, list[str]]:
    """Draw the global filter widgets; the URL wins when it changed since we last wrote it."""
    notices: list[str] = []
    current = _query_dict()
    if current != st.session_state.get("mm_written"):
        if current:  # a shared link, an edited URL, or the first visit
            view, notices = parse_query(current, services, environments, today)
            _apply_to_widgets(view)
        else:  # switching pages drops the query string (and may drop the widgets' state): restore
            _apply_to_widgets(st.session_state.get(VIEW_KEY) or View())
    chosen_days = st.session_state.get("mm_range", DEFAULT_DAYS)
    options = sorted(set(PRESET_DAYS) | ({chosen_days} if chosen_days else set()))
    options.append(CUSTOM)
    with st.sidebar:
        st.caption("Filters (shared in the link)")
        choice = st.selectbox("Time range", options, key="mm_range", format_func=_range_label)
        days = None if choice == CUSTOM else int(choice)
        start = end = None
        if days is None:
            default = st.session_state.get("mm_dates") or (today - timedelta(days=DEFAULT_DAYS - 1), today)
            st.session_state["mm_dates"] = default
            picked = st.date_input("Dates (UTC, inclusive)", key="mm_dates", min_value=EARLIEST_DATE,
                                   max_value=today + timedelta(days=FUTURE_DAYS))
            if isinstance(picked, tuple | list) and len(picked) == 2:
                start, end = picked[0], picked[1]
            else:
                st.info("Pick an end date; until then the last 7 days are shown.")
        env_options = [UNKNOWN_ENV_LABEL if e == "" else e for e in environments]
        st.session_state["mm_services"] = [s for s in st.session_state.get("mm_services", []) if s in services]
        st.session_state["mm_envs"] = [e for e in st.session_state.get("mm_envs", []) if e in env_options]
        picked_services = st.multiselect("Service", list(services), key="mm_services", placeholder="All services")
        picked_envs = st.multiselect("Environment", env_options, key="mm_envs", placeholder="All environments")
    if days is None and (start is None or end is None or (end - start).days + 1 > MAX_DAYS):
        if start is not None and end is not None:
            notices.append(f"A date range can span at most {MAX_DAYS} days; showing the last {DEFAULT_DAYS} days.")
        view = View(days=DEFAULT_DAYS, services=tuple(picked_services),
                    environments=tuple("" if e == UNKNOWN_ENV_LABEL else e for e in picked_envs))
    else:
        view = View(days=days, start=start if days is None else None, end=end if days is None else None,
                    services=tuple(picked_services),
                    environments=tuple("" if e == UNKNOWN_ENV_LABEL else e for e in picked_envs))
    written = view.to_query()
    normalized = {k: (v if isinstance(v, list) else [v]) for k, v in written.items()}
    if normalized != current:
        st.query_params.from_dict({**{k: v for k, v in st.query_params.to_dict().items()
                                      if k not in FILTER_KEYS}, **written})
    st.session_state["mm_written"] = normalized
    st.session_state[VIEW_KEY] = view
    return view, notices
