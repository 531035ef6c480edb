"""The dashboard's edges: empty database, unreachable or unmigrated database, bad settings, sign-in,
garbage in the URL, a query over its time budget, and the demo-data button (through a real collector)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from collector.app import create_collector
from modelmix.db.models import LlmCallRow
from modelmix.pricing import PriceBook
from modelmix.settings import Settings
from tests.app.conftest import APP_TIMEOUT_SECONDS
from tests.app.server import free_port

DATA_PAGES = ["overview", "model_mix", "tasks", "escalations", "candidates", "what_if", "calls"]
PASSWORD = "correct horse battery staple"


def everything_shown(at: AppTest) -> str:
    """Every piece of text the run put on screen (to prove something is, or is not, there)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success",
                 "code", "text", "exception"):
        parts += [str(getattr(e, "value", None) or getattr(e, "message", "")) for e in at.get(kind)]
    parts += [m.value for m in at.metric] + [w.label for w in at.text_input] + [b.label for b in at.button]
    return "\n".join(parts)


def test_empty_database_explains_how_to_send_data_on_every_data_page(
        dashboard: Callable[..., AppTest], db_url: str) -> None:
    for page in DATA_PAGES:
        at = dashboard(MODELMIX_DATABASE_URL=db_url, MODELMIX_OTLP_HTTP_PORT="4999").run()
        if page != "overview":
            at.switch_page(f"views/{page}.py").run()
        assert not at.exception, page
        shown = everything_shown(at)
        assert "No LLM calls stored yet" in shown, page
        assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4999" in shown
        assert "Load demo data" in shown
        assert len(at.metric) == 0  # no zeros pretending to be numbers


def test_prices_page_works_on_an_empty_database(dashboard: Callable[..., AppTest], db_url: str) -> None:
    at = dashboard(MODELMIX_DATABASE_URL=db_url).run()
    at.switch_page("views/prices.py").run()
    assert not at.exception
    assert "No models seen in this window yet" in everything_shown(at)


def test_unreachable_database_says_so_and_hides_the_password(dashboard: Callable[..., AppTest]) -> None:
    url = f"postgresql://modelmix:s3cret-pass@127.0.0.1:{free_port()}/modelmix"
    for page in ("overview", "prices"):
        at = dashboard(MODELMIX_DATABASE_URL=url).run()
        if page != "overview":
            at.switch_page(f"views/{page}.py").run()
        assert not at.exception
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and "The database is unreachable" in errors[0]
        assert "modelmix:***@127.0.0.1" in errors[0]
        assert "s3cret-pass" not in everything_shown(at)
        assert len(at.metric) == 0 and len(at.dataframe) == 0


def test_a_database_without_the_schema_says_to_migrate(dashboard: Callable[..., AppTest], empty_db_url: str) -> None:
    at = dashboard(MODELMIX_DATABASE_URL=empty_db_url).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "no modelmix tables" in errors[0] and "modelmix db upgrade" in errors[0]


def test_no_database_url_and_bad_settings_are_explained(dashboard: Callable[..., AppTest]) -> None:
    at = dashboard(MODELMIX_DATABASE_URL=None).run()
    assert not at.exception
    assert any("No database configured" in e.value for e in at.error)
    at = dashboard(MODELMIX_DATABASE_URL="postgresql://x@127.0.0.1/x", MODELMIX_QUERY_TIMEOUT_MS="soon").run()
    assert not at.exception
    assert any("MODELMIX_QUERY_TIMEOUT_MS" in e.value and "not valid" in e.value for e in at.error)


def test_with_a_password_nothing_is_shown_before_sign_in(dashboard: Callable[..., AppTest], seeded_url: str) -> None:
    at = dashboard(MODELMIX_DATABASE_URL=seeded_url, MODELMIX_DASHBOARD_PASSWORD=PASSWORD)
    at.query_params["from"] = "2026-11-02"
    at.query_params["to"] = "2026-11-08"
    at.run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Password"]
    assert len(at.metric) == 0 and len(at.dataframe) == 0 and len(at.selectbox) == 0
    assert len(at.get("plotly_chart")) == 0 and len(at.sidebar.children) == 0
    # A deep link to another page shows the same form, not the page.
    at.switch_page("views/calls.py").run()
    assert len(at.dataframe) == 0 and [t.label for t in at.text_input] == ["Password"]

    at.text_input(key="mm_password").input(PASSWORD[:-1])
    [b for b in at.button if b.label == "Sign in"][0].click().run()
    assert any("not right" in e.value for e in at.error)
    assert len(at.metric) == 0 and len(at.dataframe) == 0
    assert PASSWORD not in everything_shown(at)

    at.text_input(key="mm_password").input(PASSWORD)
    [b for b in at.button if b.label == "Sign in"][0].click().run()
    assert not at.exception
    assert len(at.dataframe) > 0  # now the calls explorer shows its table
    assert PASSWORD not in everything_shown(at)


def test_oidc_login_when_configured(dashboard: Callable[..., AppTest], seeded_url: str) -> None:
    at = dashboard(MODELMIX_DATABASE_URL=seeded_url)
    at.secrets["auth"] = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "modelmix", "client_secret": "s", "server_metadata_url":
                              "http://127.0.0.1:1/.well-known/openid-configuration"}
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"] and len(at.metric) == 0
    at.user = {"is_logged_in": True, "email": "ops@example.com"}
    at.query_params["from"] = "2026-11-02"
    at.query_params["to"] = "2026-11-08"
    at.run()
    assert not at.exception
    assert len(at.metric) == 6


@pytest.mark.parametrize("query", [
    {"from": "2026-13-45", "to": "'; DROP TABLE llm_calls; --"},
    {"days": "-5"},
    {"days": "99999999999999999999999"},
    {"days": ["3", "abc"]},
    {"service": ["' OR 1=1 --", "<img src=x onerror=alert(1)>", "support-bot"], "env": ["%", "prod"]},
    {"service": [f"s{i}" for i in range(500)]},
    {"from": "2026-11-02", "to": "2026-11-08", "service": "*" * 5000},
    {"page": "../../etc/passwd", "from": "\x00", "to": "\u202e2026-11-08"},
])
def test_garbage_in_the_url_falls_back_with_a_notice(dashboard: Callable[..., AppTest], seeded_url: str,
                                                     engine: Engine, query: dict[str, object]) -> None:
    at = dashboard(MODELMIX_DATABASE_URL=seeded_url)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.warning, "a notice says what was ignored"
    assert at.title[0].value == "Overview"
    with engine.connect() as conn:  # nothing was executed as SQL
        assert conn.execute(select(func.count()).select_from(LlmCallRow)).scalar_one() == 118
    # The URL is rewritten to the view actually shown.
    assert set(at.query_params) <= {"days", "from", "to", "service", "env", "page"}


def test_a_query_over_its_time_budget_gets_its_own_message(db_url: str) -> None:
    def script(url: str) -> None:
        from sqlalchemy import text

        from app.errors import database_guard
        from modelmix.db.engine import make_engine

        engine = make_engine(url, statement_timeout_ms=100)
        with database_guard(url), engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(2)"))

    at = AppTest.from_function(script, args=(db_url,), default_timeout=APP_TIMEOUT_SECONDS).run()
    assert not at.exception
    assert len(at.error) == 1 and "A query took too long" in at.error[0].value
    assert "MODELMIX_QUERY_TIMEOUT_MS" in at.error[0].value


def test_demo_button_without_a_collector_says_what_to_start(dashboard: Callable[..., AppTest], db_url: str) -> None:
    at = dashboard(MODELMIX_DATABASE_URL=db_url, MODELMIX_OTLP_HTTP_PORT=str(free_port())).run()
    at.button(key="mm_demo").click().run()
    assert not at.exception
    assert any("could not reach the collector" in e.value and "modelmix up" in e.value for e in at.error)
    assert "No LLM calls stored yet" in everything_shown(at)


def test_demo_button_fills_the_dashboard_through_the_real_collector(
        dashboard: Callable[..., AppTest], db_url: str, engine: Engine) -> None:
    settings = Settings(otlp_host="127.0.0.1", otlp_http_port=0, otlp_grpc_port=0, batch_max_delay_ms=5)
    collector = create_collector(settings, engine, pricer=PriceBook.load(engine).price)
    collector.start()
    try:
        port = collector.endpoints.http.rsplit(":", 1)[1]
        at = dashboard(MODELMIX_DATABASE_URL=db_url, MODELMIX_OTLP_HTTP_PORT=port)
        at.query_params["days"] = "14"
        at.run()
        at.button(key="mm_demo").click().run(timeout=300)
    finally:
        collector.stop()
    assert not at.exception, [e.message for e in at.exception]
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(LlmCallRow)).scalar_one()
    assert stored > 2000  # two weeks at 5% volume
    shown = {m.label: m.value for m in at.metric}
    assert int(shown["LLM calls"].replace(",", "")) > 1000  # the last 14 days, assembled and rolled up
    assert shown["Spend"].startswith("$")
