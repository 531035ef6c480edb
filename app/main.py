"""Entry point of the modelmix dashboard: ``streamlit run app/main.py`` (``modelmix up`` does it for you).

Order of a run: page config → settings → sign-in (nothing else is drawn before it) → navigation →
global filters from the URL → the chosen page, inside a guard that turns database failures into a
clear message instead of zeros. The database URL arrives in ``MODELMIX_DATABASE_URL``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import streamlit as st

from app import auth, context, data, filters
from app.colors import category_colors, model_colors, model_tiers
from app.errors import database_guard
from modelmix.settings import Settings, SettingsError

FAVICON = Path(__file__).with_name("favicon.png")  # a local file: a Material icon favicon is fetched from the web
PAGES = {
    "Model mix": [
        st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview",
                default=True),
        st.Page("views/model_mix.py", title="Model mix", icon=":material/donut_large:", url_path="mix"),
        st.Page("views/tasks.py", title="Tasks", icon=":material/task_alt:", url_path="tasks"),
        st.Page("views/escalations.py", title="Escalations", icon=":material/trending_up:", url_path="escalations"),
    ],
    "Savings": [
        st.Page("views/candidates.py", title="Downgrade candidates", icon=":material/savings:",
                url_path="candidates"),
        st.Page("views/what_if.py", title="What-if", icon=":material/alt_route:", url_path="what-if"),
    ],
    "Data": [
        st.Page("views/calls.py", title="Calls explorer", icon=":material/table_rows:", url_path="calls"),
        st.Page("views/prices.py", title="Prices & tiers", icon=":material/sell:", url_path="prices"),
        st.Page("views/review.py", title="Weekly review", icon=":material/summarize:", url_path="review"),
    ],
}


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        st.error(f"**modelmix cannot start: a setting is not valid.** {exc}", icon=":material/settings_alert:")
        st.stop()
    raise AssertionError("unreachable")


def main() -> None:
    st.set_page_config(page_title="modelmix", page_icon=str(FAVICON), layout="wide")
    settings = _settings()
    auth.require_sign_in(settings.dashboard_password)
    page = st.navigation(PAGES)
    if not settings.database_url:
        st.error("**No database configured.** `MODELMIX_DATABASE_URL` is not set. Start the dashboard with "
                 "`modelmix up` or `modelmix dashboard` (they set it), or export it yourself.",
                 icon=":material/database:")
        st.stop()
    db = data.Db(settings.database_url, settings.query_timeout_ms)
    now = datetime.now(UTC)
    with database_guard(db.url):
        extent = data.extent(db)
        services, environments, tasks = data.choices(db)
        view, notices = filters.render_sidebar(services, environments, now.date())
        known = data.known_models(db)
        ctx = context.PageContext(
            settings=settings, db=db, view=view, filters=view.filters(now), extent=extent,
            services=tuple(services), environments=tuple(environments), tasks=tuple(tasks),
            colors=model_colors(known), task_colors=category_colors(tasks), model_tiers=model_tiers(known),
            now=now,
        )
        context.store(ctx)
        for notice in notices:
            st.warning(notice, icon=":material/link_off:")
        page.run()


# Streamlit runs this file as ``__main__``. A multiprocessing "spawn" child of a process that ran it
# (AppTest in the test suite) re-imports it as ``__mp_main__`` and must not draw the dashboard.
if __name__ == "__main__":
    main()
