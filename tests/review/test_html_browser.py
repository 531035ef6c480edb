"""The HTML review in headless Chromium: opens offline with no console error, fetches nothing, lays out.

Chromium is the system one (``/usr/bin/chromium``), driven by Playwright; no browser is downloaded.
Every request the page makes is recorded; only ``file:`` and ``data:`` are allowed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from modelmix.review import generate_review
from tests.analytics.factory import Seed
from tests.review.conftest import Pricing, load_pricing
from tests.review.fortnight import W47

CHROMIUM = "/usr/bin/chromium"
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs the system Chromium at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


class Visit:
    """One page load with every console error, page error, dialog and request recorded."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": 1100, "height": 900})
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)

        def route(r: Any) -> None:
            self.requests.append(r.request.url)
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                r.abort()

        self.page.route("**/*", route)
        self.page.goto(path.as_uri(), wait_until="load")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def outside(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:"))]


def test_the_review_opens_offline_without_errors_and_lays_out(
        engine: Engine, fortnight: Pricing, browser: Any, tmp_path: Path) -> None:
    snapshot = generate_review(engine, "2026-W47", fortnight.book, fortnight.tiers, now=NOW)
    assert "http://" not in snapshot.html and "https://" not in snapshot.html and "<script" not in snapshot.html
    path = tmp_path / "review.html"
    path.write_text(snapshot.html, encoding="utf-8")
    visit = Visit(browser, path)
    page = visit.page
    try:
        assert visit.errors == []
        assert visit.outside() == []
        assert page.title() == "Model-mix review 2026-W47 (2026-11-16 to 2026-11-22, UTC)"
        cards = page.locator(".card")
        assert cards.count() == 5
        assert cards.nth(0).inner_text().split("\n")[:3] == ["SPEND", "$0.07072", "+2.9%"]
        charts = page.locator("svg.chart")
        assert charts.count() == 2
        for i in range(2):
            box = charts.nth(i).bounding_box()
            assert box is not None and box["width"] > 700 and box["height"] > 200
        # Mix chart: one segment per (day, model) with calls — W46 has 3 models on 5 weekdays, W47 4 models on
        # Mon-Wed, 3 on Thu (no claude-haiku) and 2 on Fri (only classify and summarize runs 4, 9, 14, 19).
        assert charts.nth(0).locator("rect").count() == 5 * 3 + 3 * 4 + 3 + 2
        assert page.locator(".next li").count() == 3
        page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
        assert (tmp_path / "review.png").stat().st_size > 50_000
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1100  # nothing overflows the window sideways
    finally:
        page.close()


def test_hostile_names_stay_text(engine: Engine, browser: Any, tmp_path: Path) -> None:
    """Task and model names come from telemetry: markup or URLs in them must not run or load anything."""
    seed = Seed(engine)
    hostile_task = "<script>alert('task')</script>"
    hostile_model = '<img src="http://127.0.0.1:9/x.png" onerror="alert(1)">'
    seed.call(trace_no=1, start=W47 + timedelta(hours=10), model=hostile_model, task=hostile_task, cost=None,
              provider="x|y`z")
    seed.run(trace_no=1, start=W47 + timedelta(hours=10), task=hostile_task, cost=None, unpriced_calls=1,
             first_model=hostile_model)
    seed.commit()
    pricing = load_pricing(engine)
    snapshot = generate_review(engine, "2026-W47", pricing.book, pricing.tiers, now=NOW)
    assert "<script>" not in snapshot.html and "<img" not in snapshot.html
    path = tmp_path / "hostile.html"
    path.write_text(snapshot.html, encoding="utf-8")
    visit = Visit(browser, path)
    try:
        assert visit.dialogs == [] and visit.errors == [] and visit.outside() == []
        text = visit.page.inner_text("body")
        assert hostile_task in text and hostile_model in text
    finally:
        visit.page.close()
    # The markdown keeps the table intact: the pipe in the provider name is escaped.
    assert "| x\\|y`z |" in snapshot.markdown


def test_the_recorder_does_see_outside_requests_and_console_errors(browser: Any, tmp_path: Path) -> None:
    """Guard against a vacuous check: a page that does fetch and fail is caught by the same recorder."""
    path = tmp_path / "leaky.html"
    path.write_text('<!doctype html><img src="http://127.0.0.1:9/pixel.png"><script>console.error("boom")</script>',
                    encoding="utf-8")
    visit = Visit(browser, path)
    try:
        assert visit.outside() == ["http://127.0.0.1:9/pixel.png"]
        assert "boom" in visit.errors
    finally:
        visit.page.close()
