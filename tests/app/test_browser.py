"""Every dashboard page in headless Chromium, on data that came in through the real collector.

A small demo (two weeks at 3% volume) is sent over OTLP/HTTP with the OpenTelemetry SDK's exporter to
an in-process collector writing to a fresh database, then assembled. The dashboard runs as its own
``streamlit run`` process on a free port; Playwright drives the system Chromium (never a downloaded
one) and waits for Streamlit itself to go idle before judging a page. A page fails on any Streamlit
exception box or browser console error. Screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from collector.app import create_collector
from modelmix.assembly import assemble_pending
from modelmix.demo import run_demo
from modelmix.pricing import PriceBook
from modelmix.settings import Settings
from tests.app.server import REPO_ROOT, dashboard_server

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
IDLE_QUIET_SECONDS = 1.5
IDLE_TIMEOUT_SECONDS = 90.0
PAGES = [
    ("", "Overview"), ("mix", "Model mix"), ("tasks", "Tasks"), ("escalations", "Escalations"),
    ("candidates", "Downgrade candidates"), ("what-if", "What-if"), ("calls", "Calls explorer"),
    ("prices", "Prices & tiers"), ("review", "Weekly review"),
]
BASE_PATH_PROBE = re.compile(r"/[\w-]+/_stcore/(host-config|health)$")
BUSY = '[data-testid="stStatusWidget"], [data-testid="stSpinner"], [data-testid="stSkeleton"]'


@pytest.fixture
def demo_db(db_url: str, engine: Engine) -> str:
    """A database holding two weeks of demo traffic, delivered through the real collector."""
    settings = Settings(otlp_host="127.0.0.1", otlp_http_port=0, otlp_grpc_port=0, batch_max_delay_ms=5)
    collector = create_collector(settings, engine, pricer=PriceBook.load(engine).price)
    collector.start()
    try:
        summary = run_demo(collector.endpoints.http, weeks=2, scale=0.03, seed=7, now=datetime.now(UTC))
    finally:
        collector.stop()
    assert summary.calls > 1000
    assemble_pending(engine, flush=True)
    return db_url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: install it with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


def wait_idle(page: object) -> None:
    """Wait until the app is rendered and Streamlit has shown no running / loading marker for a while."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=IDLE_TIMEOUT_SECONDS * 1000)  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=IDLE_TIMEOUT_SECONDS * 1000)  # type: ignore[attr-defined]
    deadline = time.monotonic() + IDLE_TIMEOUT_SECONDS
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        busy = page.locator(BUSY).count() > 0  # type: ignore[attr-defined]
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= IDLE_QUIET_SECONDS:
            return
        time.sleep(0.1)
    raise AssertionError("the page never went idle")


class PageWatcher:
    """Opens pages in one browser tab and records console errors and uncaught page errors."""

    def __init__(self, browser: object, base_url: str) -> None:
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": 1440, "height": 1000})  # type: ignore[attr-defined]
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _console(self, message: object) -> None:
        if message.type != "error":  # type: ignore[attr-defined]
            return
        url = (message.location or {}).get("url", "")  # type: ignore[attr-defined]
        if BASE_PATH_PROBE.search(url) and message.text.startswith("Failed to load resource"):  # type: ignore[attr-defined]
            return  # Streamlit's frontend probing whether a deep link's path is a base-URL prefix
        self.errors.append(f"{message.text} ({url})")  # type: ignore[attr-defined]

    def open(self, path: str) -> object:
        self.page.goto(f"{self.base_url}/{path}", wait_until="domcontentloaded")
        wait_idle(self.page)
        return self.page

    def check(self, name: str) -> None:
        """Fail on a Streamlit exception box or a console error; save a screenshot of the whole page."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        height = self.page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 1000")
        self.page.set_viewport_size({"width": 1440, "height": min(max(int(height) + 40, 1000), 9000)})
        wait_idle(self.page)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        self.page.set_viewport_size({"width": 1440, "height": 1000})
        exceptions = self.page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, f"{name}: {exceptions.first.inner_text()}"
        assert not self.errors, f"{name}: browser console errors: {self.errors}"

    def close(self) -> None:
        self.context.close()


def test_every_page_renders_demo_data_without_errors(browser: object, demo_db: str, tmp_path: Path) -> None:
    with dashboard_server({"MODELMIX_DATABASE_URL": demo_db}, tmp_path / "dashboard.log") as base_url:
        watcher = PageWatcher(browser, base_url)
        try:
            for path, title in PAGES:
                page = watcher.open(f"{path}?days=14")
                heading = page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text()  # type: ignore[attr-defined]
                assert heading.strip() == title
                watcher.check(path or "overview")
            # Overview numbers are dollars and percentages, not raw floats.
            page = watcher.open("?days=14")
            metrics = page.locator('[data-testid="stMetricValue"]').all_inner_texts()  # type: ignore[attr-defined]
            assert metrics[0].startswith("$") and metrics[2].endswith("%"), metrics
            # One click carries the top downgrade candidate into What-if, which then shows a projection.
            page = watcher.open("candidates?days=14")
            page.get_by_role("button", name="Try in What-if").first.click()  # type: ignore[attr-defined]
            page.wait_for_url("**/what-if**", timeout=30_000)  # type: ignore[attr-defined]
            wait_idle(page)
            assert page.get_by_text("Projected spend").count() >= 1  # type: ignore[attr-defined]
            watcher.check("what-if-with-candidate")
            # The weekly review can be generated for the current week and opens right away.
            page = watcher.open("review?days=14")
            page.get_by_role("button", name="Generate review").click()  # type: ignore[attr-defined]
            page.wait_for_selector("iframe", timeout=60_000)  # type: ignore[attr-defined]
            wait_idle(page)
            watcher.check("review-generated")
        finally:
            watcher.close()
        log = (tmp_path / "dashboard.log").read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]


def test_empty_database_shows_how_to_send_data(browser: object, db_url: str, tmp_path: Path) -> None:
    with dashboard_server({"MODELMIX_DATABASE_URL": db_url}, tmp_path / "dashboard.log") as base_url:
        watcher = PageWatcher(browser, base_url)
        try:
            page = watcher.open("")
            assert page.get_by_text("No LLM calls stored yet").count() == 1  # type: ignore[attr-defined]
            assert page.get_by_text("OTEL_EXPORTER_OTLP_ENDPOINT").count() >= 1  # type: ignore[attr-defined]
            assert page.get_by_role("button", name="Load demo data").count() == 1  # type: ignore[attr-defined]
            watcher.check("empty-database")
        finally:
            watcher.close()
