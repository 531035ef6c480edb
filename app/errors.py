"""What the dashboard says when the database cannot answer — a clear box, never a page of zeros.

``database_guard`` wraps a whole page run: an unreachable server, a query over the time budget, or a
schema that was never migrated each get their own message naming what to check. The URL shown has
its password masked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

UNREACHABLE_TITLE = "The database is unreachable"
TIMEOUT_TITLE = "A query took too long"
SCHEMA_TITLE = "The database has no modelmix tables"


def masked_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a URL SQLAlchemy cannot parse is shown as nothing rather than leaked
        return "(unparseable URL)"


def _first_line(exc: DBAPIError) -> str:
    text = str(exc.orig or exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def show_database_error(exc: DBAPIError, url: str) -> None:
    state = _sqlstate(exc)
    if state == "57014":  # query_canceled: statement_timeout
        st.error(
            f"**{TIMEOUT_TITLE}.** A dashboard query ran past `MODELMIX_QUERY_TIMEOUT_MS` and was stopped. "
            "Try a shorter time range or fewer filters, or raise the timeout.",
            icon=":material/timer_off:",
        )
    elif state in {"42P01", "3F000"} or isinstance(exc, ProgrammingError):
        st.error(
            f"**{SCHEMA_TITLE}.** The database at `{masked_url(url)}` answered, but the modelmix schema "
            "is missing or incomplete. Run `modelmix db upgrade` (or start everything with `modelmix up`, "
            "which migrates first).",
            icon=":material/database:",
        )
    else:
        st.error(
            f"**{UNREACHABLE_TITLE}.** Nothing below is shown because the numbers could not be read. "
            f"Could not talk to PostgreSQL at `{masked_url(url)}`.\n\n"
            "Check that:\n"
            "- PostgreSQL is running (with `modelmix up` it is started for you);\n"
            "- `MODELMIX_DATABASE_URL` names the right host, port, database and user;\n"
            "- this machine can reach that host (firewall, VPN, Docker network).",
            icon=":material/cloud_off:",
        )
    st.caption(f"Details: {_first_line(exc)}")


@contextmanager
def database_guard(url: str) -> Iterator[None]:
    """Turn database failures inside the block into one clear message, then stop the page."""
    try:
        yield
    except (OperationalError, ProgrammingError) as exc:
        show_database_error(exc, url)
        st.stop()
