"""Cached wrappers over ``modelmix.analytics``: one engine per database, query results for 30 seconds.

Pages never build SQL; they call these functions with a ``Db`` (which database, which query budget)
and a validated ``Filters``. Results are cached with a short TTL so a busy dashboard does not re-run
every query on every click, while new data shows up within half a minute. Errors are not cached:
an unreachable database raises ``sqlalchemy.exc.OperationalError`` to the page guard every time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from modelmix import analytics
from modelmix.analytics import Filters, dashboard_extra
from modelmix.db.engine import make_engine
from modelmix.pricing import PriceBook, PriceListing, list_prices, load_overrides, models_seen
from modelmix.pricing.defaults import DefaultPrices
from modelmix.tiers import TierInfo, TierMap, list_tiers

F = TypeVar("F", bound=Callable[..., Any])
TTL_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Db:
    """Which database to read, and the statement timeout every dashboard query runs under."""

    url: str
    timeout_ms: int


@st.cache_resource(show_spinner=False)
def engine(db: Db) -> Engine:
    return make_engine(db.url, statement_timeout_ms=db.timeout_ms, pool_size=4, max_overflow=4,
                       connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


@st.cache_resource(show_spinner=False)
def write_engine(db: Db) -> Engine:
    """For operator edits and repricing: no dashboard statement timeout (a reprice may run longer)."""
    return make_engine(db.url, pool_size=1, max_overflow=1, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


@st.cache_resource(show_spinner=False)
def _default_prices() -> DefaultPrices:
    return DefaultPrices()


def pricing(db: Db) -> tuple[PriceBook, TierMap]:
    """The price book (stored overrides over genai-prices defaults) and tier map, freshly loaded."""
    eng = engine(db)
    book = PriceBook(load_overrides(eng), defaults=_default_prices())
    return book, TierMap.load(eng, book)


def clear() -> None:
    """Forget cached results (after an edit, so every page shows the new state at once)."""
    st.cache_data.clear()


def _cached(func: F) -> F:
    return cast(F, st.cache_data(ttl=TTL_SECONDS, show_spinner=False)(func))


@_cached
def extent(db: Db) -> dashboard_extra.DataExtent:
    return dashboard_extra.data_extent(engine(db))


@_cached
def choices(db: Db) -> tuple[list[str], list[str], list[str]]:
    """Services, environments and tasks seen in the data."""
    eng = engine(db)
    return analytics.services(eng), analytics.environments(eng), analytics.tasks(eng)


@_cached
def known_models(db: Db) -> list[tuple[str, str]]:
    return dashboard_extra.known_models(engine(db))


@_cached
def overview(db: Db, filters: Filters) -> analytics.Overview:
    return analytics.overview(engine(db), filters)


@_cached
def avoidable_spend(db: Db, filters: Filters) -> Decimal:
    book, tiers = pricing(db)
    return analytics.avoidable_spend(engine(db), filters, book, tiers)


@_cached
def model_mix(db: Db, filters: Filters) -> pd.DataFrame:
    return analytics.model_mix(engine(db), filters)


@_cached
def mix_totals(db: Db, filters: Filters, by: str, measure: str) -> pd.DataFrame:
    return dashboard_extra.mix_totals(engine(db), filters, by=by, measure=measure)


@_cached
def mix_series(db: Db, filters: Filters, bucket: str, by: str, measure: str) -> pd.DataFrame:
    return analytics.model_mix_series(engine(db), filters, bucket=bucket, by=by, measure=measure)  # type: ignore[arg-type]


@_cached
def mix_breakdown(db: Db, filters: Filters, by: str, split: str, measure: str) -> pd.DataFrame:
    return analytics.model_mix_breakdown(engine(db), filters, by=by, split=split, measure=measure)  # type: ignore[arg-type]


@_cached
def frontier_series(db: Db, filters: Filters, bucket: str) -> pd.DataFrame:
    return analytics.frontier_share_series(engine(db), filters, bucket=bucket)  # type: ignore[arg-type]


@_cached
def task_costs(db: Db, filters: Filters) -> pd.DataFrame:
    return analytics.task_costs(engine(db), filters)


@_cached
def task_cost_trend(db: Db, filters: Filters, bucket: str) -> pd.DataFrame:
    return analytics.task_cost_trend(engine(db), filters, bucket=bucket)  # type: ignore[arg-type]


@_cached
def task_runs(db: Db, filters: Filters, task: str, limit: int, offset: int = 0) -> pd.DataFrame:
    return analytics.task_runs(engine(db), filters, task, limit=limit, offset=offset)


@_cached
def run_calls(db: Db, trace_id: str) -> pd.DataFrame:
    return analytics.run_calls(engine(db), trace_id)


@_cached
def escalations(db: Db, filters: Filters) -> analytics.Escalations:
    return analytics.escalations(engine(db), filters)


@_cached
def escalation_trend_by_task(db: Db, filters: Filters, bucket: str) -> pd.DataFrame:
    return dashboard_extra.escalation_trend_by_task(engine(db), filters, bucket=bucket)  # type: ignore[arg-type]


@_cached
def candidates(db: Db, filters: Filters) -> list[analytics.Candidate]:
    book, tiers = pricing(db)
    return analytics.downgrade_candidates(engine(db), filters, book, tiers)


@_cached
def candidate_calls(db: Db, filters: Filters, task: str, model: str, limit: int = 20) -> pd.DataFrame:
    return analytics.candidate_calls(engine(db), filters, task, model, limit=limit)


@_cached
def what_if(db: Db, filters: Filters, rules: tuple[tuple[str | None, str, str, float], ...]) -> analytics.WhatIfResult:
    policy = analytics.RoutingPolicy(tuple(analytics.RoutingRule(*rule) for rule in rules))
    book, _ = pricing(db)
    return analytics.what_if(engine(db), filters, policy, book)


@_cached
def calls_page(db: Db, filters: Filters, model: str | None, status: str | None, text: str | None,
               limit: int, offset: int) -> pd.DataFrame:
    return analytics.calls_page(engine(db), filters, model=model, status=status, text_filter=text,
                                limit=limit, offset=offset)


def calls_csv(db: Db, filters: Filters, model: str | None, status: str | None, text: str | None,
              max_rows: int) -> str:
    """Not cached: built only when the download button is pressed."""
    return analytics.calls_csv(engine(db), filters, model=model, status=status, text_filter=text,
                               max_rows=max_rows)




@_cached
def price_listing(db: Db, since: datetime, at: datetime) -> tuple[list[PriceListing], list[PriceListing]]:
    """(stored overrides, prices in force at ``at`` for every model seen since ``since``)."""
    eng = engine(db)
    book, _ = pricing(db)
    seen = [(m.provider, m.model, m.calls) for m in models_seen(eng, since)]
    listings = list_prices(eng, book, at, seen)
    return ([x for x in listings if x.kind == "override"], [x for x in listings if x.kind != "override"])


@_cached
def tier_listing(db: Db, since: datetime) -> list[TierInfo]:
    """Tier and cheaper sibling (and where each came from) of every model seen or overridden."""
    eng = engine(db)
    book, tier_map = pricing(db)
    seen = [m.canonical_model or book.canonical_model(m.provider, m.model) for m in models_seen(eng, since)]
    return list_tiers(tier_map, [*tier_map.overridden, *(m for m in seen if m)])


def canonical_model(db: Db, provider: str | None, model: str) -> str | None:
    book, _ = pricing(db)
    return book.canonical_model(provider, model)


@_cached
def review_list(db: Db) -> list[tuple[int, str, datetime]]:
    """Stored weekly reviews: (id, ISO week, generated at), newest week first."""
    from modelmix.review import list_snapshots

    return [(s.id, s.week, s.generated_at) for s in list_snapshots(engine(db))]


@_cached
def review_snapshot(db: Db, snapshot_id: int) -> tuple[str, datetime, str, str]:
    """(week, generated at, markdown, html) of one stored review; ``SnapshotNotFound`` when missing."""
    from modelmix.review import load_snapshot

    snap = load_snapshot(engine(db), snapshot_id)
    return snap.week, snap.generated_at, snap.markdown, snap.html


def generate_review(db: Db, week: str) -> int:
    """Generate and store the review of ISO ``week``; its snapshot id. ``ValueError`` for a bad week."""
    from modelmix.review import generate_review as generate

    eng = write_engine(db)
    book = PriceBook(load_overrides(eng), defaults=_default_prices())
    snapshot = generate(eng, week, book, TierMap.load(eng, book))
    clear()
    return int(snapshot.id or 0)
