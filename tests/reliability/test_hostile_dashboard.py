"""Garbage through the dashboard (``streamlit.testing.v1.AppTest`` on ``app/main.py``).

Hypothesis draws query strings for every page and values for every field of the price, tier and
search forms. Whatever arrives, the run raises nothing, and a refused edit leaves every table as it
was (row counts and table list); an accepted one stores exactly the typed value and nothing else.
The dashboard's own tests cover chosen cases; these sweep the space around them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from tests.reliability.cli_run import environment, seed_calls
from tests.reliability.conftest import SOAK
from tests.reliability.storage import table_snapshot

MAIN_SCRIPT = Path(__file__).resolve().parents[2] / "app" / "main.py"
PAGES = ("overview", "model_mix", "tasks", "escalations", "candidates", "what_if", "calls", "prices", "review")
# Each AppTest run costs seconds, so CI draws a few examples per property and the soak run many.
UI = settings(max_examples=40 if SOAK else 6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INJECTIONS = ("'; DROP TABLE llm_calls; --", "%' OR 1=1 --", "x'); DELETE FROM model_prices; --", "\\", "%", "_",
              "<script>alert(1)</script>", "{{7*7}}", "../../etc/passwd")
garbage = hs.one_of(hs.sampled_from(INJECTIONS), hs.text(max_size=40), hs.just(""), hs.just("9" * 400),
                    hs.sampled_from(["2026-02-30", "0001-01-01", "9999-12-31", "-1", "0", "401", "1e9", "NaN",
                                     "checkout", "support-bot", "\u202egpt-4o", "\x00", "(unknown)"]))
query_values = hs.one_of(garbage, hs.lists(garbage, min_size=1, max_size=4))


@pytest.fixture(scope="module")
def dashboard_db(module_db_url: str, module_engine: Engine) -> Iterator[Engine]:
    seed_calls(module_engine)
    with environment(MODELMIX_DATABASE_URL=module_db_url, MODELMIX_LOG_LEVEL="WARNING"):
        yield module_engine
    st.cache_data.clear()
    st.cache_resource.clear()


def open_app(query: dict[str, Any] | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page is not None and page != "overview":
        at.switch_page(f"views/{page}.py").run()
    return at


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


@UI
@given(page=hs.sampled_from(PAGES),
       query=hs.dictionaries(hs.sampled_from(["days", "from", "to", "service", "env", "page", "task", "model"]),
                             query_values, max_size=4))
def test_garbage_query_strings_on_every_page(dashboard_db: Engine, page: str, query: dict[str, Any]) -> None:
    before = table_snapshot(dashboard_db)
    at = open_app(query, page)
    _no_exception(at)
    assert table_snapshot(dashboard_db) == before


@UI
@given(fields=hs.fixed_dictionaries({}, optional={
    "pr_model": garbage, "pr_provider": garbage, "pr_input_per_mtok": garbage, "pr_output_per_mtok": garbage,
    "pr_cache_read_per_mtok": garbage, "pr_from": garbage, "pr_until": garbage, "pr_note": garbage}))
def test_price_form_garbage_stores_the_typed_row_or_nothing(dashboard_db: Engine, fields: dict[str, str]) -> None:
    at = open_app(page="prices")
    _no_exception(at)
    for key, value in fields.items():
        at.text_input(key=key).set_value(value)
    before = table_snapshot(dashboard_db)
    [b for b in at.button if b.label == "Save override"][0].click().run()
    _no_exception(at)
    after = table_snapshot(dashboard_db)
    if any(e.value.startswith("Not saved") for e in at.error):
        assert after == before
        return
    assert after["model_prices"] == before["model_prices"] + 1
    assert {k: v for k, v in after.items() if k != "model_prices"} == {
        k: v for k, v in before.items() if k != "model_prices"}
    with dashboard_db.connect() as conn:
        model = conn.execute(text("SELECT model_pattern FROM model_prices ORDER BY id DESC LIMIT 1")).scalar_one()
    assert model == fields["pr_model"].strip().lower()


@UI
@given(pick=hs.integers(min_value=0), sibling=garbage,
       tier=hs.sampled_from(["(keep as is)", "small", "mid", "frontier", "default"]))
def test_tier_form_garbage_changes_only_tiers(dashboard_db: Engine, pick: int, sibling: str, tier: str) -> None:
    at = open_app(page="prices")
    _no_exception(at)
    before = table_snapshot(dashboard_db)
    models = at.selectbox(key="pr_tier_model").options
    at.selectbox(key="pr_tier_model").select(models[pick % len(models)])
    at.selectbox(key="pr_tier_tier").select(tier)
    at.text_input(key="pr_tier_sibling").set_value(sibling)
    at.checkbox(key="pr_tier_retier").uncheck()
    [b for b in at.button if b.label == "Save tier"][0].click().run()
    _no_exception(at)
    after = table_snapshot(dashboard_db)
    changed = {k for k in after if after[k] != before.get(k)} | (set(before) - set(after))
    assert changed <= {"model_tiers"}, changed


@UI
@given(search=hs.text(max_size=100) | hs.sampled_from(INJECTIONS))
def test_calls_search_with_garbage(dashboard_db: Engine, search: str) -> None:
    at = open_app(page="calls")
    _no_exception(at)
    before = table_snapshot(dashboard_db)
    at.text_input(key="calls_search").set_value(search).run()
    _no_exception(at)
    assert table_snapshot(dashboard_db) == before
