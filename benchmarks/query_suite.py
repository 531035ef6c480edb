"""Every read the dashboard, the weekly review and ``modelmix report`` make, as timed callables.

Each ``QueryCase`` calls the analytics function exactly as the page (``app/data.py`` and the views),
the review (``modelmix.review``) or the report does, with the page's arguments (page sizes, sample
sizes, chart bucket for the window). Cases that price things load the price book and tier map the
way the dashboard does, inside the timed call. Windows are the dashboard's: the last N days up to
the next whole hour.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from modelmix import analytics
from modelmix.analytics import Filters, dashboard_extra
from modelmix.pricing import PriceBook, list_prices, load_overrides, models_seen
from modelmix.report import build_report
from modelmix.review import generate_review
from modelmix.review.weeks import iso_week_of
from modelmix.tiers import TierMap, list_tiers

CSV_MAX_ROWS = 100_000  # app/views/calls.py
RUNS_SHOWN, HISTOGRAM_RUNS = 200, 5_000  # app/views/tasks.py
SAMPLE_CALLS = 20  # app/views/candidates.py
PAGE_SIZE = 50  # app/views/calls.py default


@dataclass(frozen=True)
class Probe:
    """Real values from the data that drill-down cases need (a busy task, a trace, a model)."""

    task: str
    trace_id: str
    candidate_model: str
    top_tasks: tuple[str, ...] = ()  # the tasks with the most spend: the ones the trend charts draw


@dataclass(frozen=True)
class QueryCase:
    name: str
    used_by: str  # page or consumer
    run: Callable[[Engine, Filters, Probe], Any]
    windowed: bool = True  # False: the query does not depend on the window (timed once)


def dashboard_window(days: int, now: datetime | None = None) -> Filters:
    """The dashboard's "last N days": N days up to the next whole UTC hour."""
    hour = (now or datetime.now(UTC)).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    end = hour + timedelta(hours=1)
    return Filters(end - timedelta(days=days), end)


def bucket_for(filters: Filters) -> str:
    """app/context.py: hours up to two days, weeks beyond 120 days, else days."""
    days = filters.length.total_seconds() / 86_400
    return "hour" if days <= 2 else "week" if days > 120 else "day"


def _pricing(engine: Engine) -> tuple[PriceBook, TierMap]:
    book = PriceBook(load_overrides(engine))
    return book, TierMap.load(engine, book)


def _candidates(engine: Engine, f: Filters, _p: Probe) -> Any:
    book, tiers = _pricing(engine)
    return analytics.downgrade_candidates(engine, f, book, tiers)


def _avoidable(engine: Engine, f: Filters, _p: Probe) -> Any:
    book, tiers = _pricing(engine)
    return analytics.avoidable_spend(engine, f, book, tiers)


def _what_if(engine: Engine, f: Filters, _p: Probe) -> Any:
    book, _ = _pricing(engine)
    policy = analytics.RoutingPolicy((analytics.RoutingRule(None, "gpt-4o", "gpt-4o-mini", 0.1),))
    return analytics.what_if(engine, f, policy, book)


def _price_listing(engine: Engine, f: Filters, _p: Probe) -> Any:
    book, _ = _pricing(engine)
    seen = [(m.provider, m.model, m.calls) for m in models_seen(engine, f.since)]
    return list_prices(engine, book, f.until, seen)


def _tier_listing(engine: Engine, f: Filters, _p: Probe) -> Any:
    book, tier_map = _pricing(engine)
    seen = [m.canonical_model or book.canonical_model(m.provider, m.model) for m in models_seen(engine, f.since)]
    return list_tiers(tier_map, [*tier_map.overridden, *(m for m in seen if m)])


def last_complete_week(now: datetime | None = None) -> str:
    """ISO week before the current one (the week a Monday-morning review covers)."""
    return iso_week_of((now or datetime.now(UTC)) - timedelta(days=7))


def _review(engine: Engine, _f: Filters, _p: Probe) -> Any:
    book, tiers = _pricing(engine)
    return generate_review(engine, last_complete_week(), book, tiers, store=False)


def _report(engine: Engine, f: Filters, _p: Probe) -> Any:
    book, tiers = _pricing(engine)
    return build_report(engine, f, book, tiers)


def _b(f: Filters) -> Any:
    return bucket_for(f)


CASES: tuple[QueryCase, ...] = (
    QueryCase("data_extent", "every page", lambda e, f, p: dashboard_extra.data_extent(e), windowed=False),
    QueryCase("filter_choices", "every page",
              lambda e, f, p: (analytics.services(e), analytics.environments(e), analytics.tasks(e)), windowed=False),
    QueryCase("known_models", "every page", lambda e, f, p: dashboard_extra.known_models(e), windowed=False),
    QueryCase("overview", "overview", lambda e, f, p: analytics.overview(e, f)),
    QueryCase("avoidable_spend", "overview", _avoidable),
    QueryCase("avoidable_spend_previous", "overview", lambda e, f, p: _avoidable(e, f.previous(), p)),
    QueryCase("mix_series_model_cost", "overview",
              lambda e, f, p: analytics.model_mix_series(e, f, bucket=_b(f), by="model", measure="cost")),
    QueryCase("mix_totals_model_cost", "overview",
              lambda e, f, p: dashboard_extra.mix_totals(e, f, by="model", measure="cost")),
    QueryCase("mix_totals_tier_cost", "overview",
              lambda e, f, p: dashboard_extra.mix_totals(e, f, by="tier", measure="cost")),
    QueryCase("mix_totals_model_calls", "model mix",
              lambda e, f, p: dashboard_extra.mix_totals(e, f, by="model", measure="calls")),
    QueryCase("mix_series_model_calls", "model mix",
              lambda e, f, p: analytics.model_mix_series(e, f, bucket=_b(f), by="model", measure="calls")),
    QueryCase("mix_breakdown_model_service", "model mix",
              lambda e, f, p: analytics.model_mix_breakdown(e, f, by="model", split="service", measure="calls")),
    QueryCase("model_mix_table", "model mix", lambda e, f, p: analytics.model_mix(e, f)),
    QueryCase("task_costs", "tasks", lambda e, f, p: analytics.task_costs(e, f)),
    QueryCase("task_cost_trend", "tasks",  # the page draws the TREND_TASKS tasks with the most spend
              lambda e, f, p: analytics.task_cost_trend(e, f.with_tasks(*p.top_tasks), bucket=_b(f))),
    QueryCase("task_runs_page", "tasks", lambda e, f, p: analytics.task_runs(e, f, p.task, RUNS_SHOWN)),
    QueryCase("task_runs_histogram", "tasks", lambda e, f, p: analytics.task_runs(e, f, p.task, HISTOGRAM_RUNS)),
    QueryCase("run_calls", "tasks", lambda e, f, p: analytics.run_calls(e, p.trace_id), windowed=False),
    QueryCase("escalations", "escalations", lambda e, f, p: analytics.escalations(e, f)),
    QueryCase("escalation_trend_by_task", "escalations",
              lambda e, f, p: dashboard_extra.escalation_trend_by_task(e, f, bucket=_b(f))),
    QueryCase("downgrade_candidates", "candidates", _candidates),
    QueryCase("candidate_calls", "candidates",
              lambda e, f, p: analytics.candidate_calls(e, f, p.task, p.candidate_model, SAMPLE_CALLS)),
    QueryCase("what_if", "what-if", _what_if),
    QueryCase("calls_page", "calls", lambda e, f, p: analytics.calls_page(e, f, limit=PAGE_SIZE)),
    QueryCase("calls_page_filtered", "calls",
              lambda e, f, p: analytics.calls_page(e, f, model="gpt-4o", status="error", text_filter="Rate",
                                                   limit=PAGE_SIZE)),
    QueryCase("calls_csv_100k", "calls (download)",
              lambda e, f, p: analytics.calls_csv(e, f, max_rows=CSV_MAX_ROWS)),
    QueryCase("price_listing", "prices", _price_listing),
    QueryCase("tier_listing", "prices", _tier_listing),
    QueryCase("weekly_review", "weekly review", _review, windowed=False),
    QueryCase("report_week", "modelmix report", _report),
)
