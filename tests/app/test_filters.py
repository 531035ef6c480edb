"""URL query-string filters: every kind of garbage falls back to the defaults with a notice, never raises."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.filters import DEFAULT_DAYS, MAX_VALUES, View, parse_query

TODAY = date(2026, 11, 28)
SERVICES = ["batch-jobs", "support-bot"]
ENVIRONMENTS = ["", "prod", "staging"]


def parse(**params: list[str]) -> tuple[View, list[str]]:
    return parse_query(params, SERVICES, ENVIRONMENTS, TODAY)


def test_no_query_is_the_last_seven_days_of_everything() -> None:
    view, notices = parse()
    assert view == View(days=7)
    assert notices == []


def test_a_valid_query_is_read_exactly() -> None:
    view, notices = parse(**{"from": ["2026-11-02"], "to": ["2026-11-08"], "service": ["support-bot"],
                             "env": ["prod", "(unknown)"]})
    assert view == View(days=None, start=date(2026, 11, 2), end=date(2026, 11, 8), services=("support-bot",),
                        environments=("prod", ""))
    assert notices == []
    assert view.window(datetime(2026, 11, 28, tzinfo=UTC)) == (datetime(2026, 11, 2, tzinfo=UTC),
                                                               datetime(2026, 11, 9, tzinfo=UTC))


def test_a_relative_window_ends_at_the_next_whole_hour() -> None:
    view, _ = parse(days=["30"])
    since, until = view.window(datetime(2026, 11, 28, 7, 25, 13, tzinfo=UTC))
    assert until == datetime(2026, 11, 28, 8, tzinfo=UTC)
    assert since == datetime(2026, 10, 29, 8, tzinfo=UTC)


def test_the_query_a_view_writes_reads_back_as_the_same_view() -> None:
    for view in (View(days=14, services=("batch-jobs",)), View(days=None, start=date(2026, 10, 1),
                                                              end=date(2026, 10, 31), environments=("", "prod"))):
        query = view.to_query()
        as_lists = {k: (v if isinstance(v, list) else [v]) for k, v in query.items()}
        assert parse(**as_lists) == (view, [])


@pytest.mark.parametrize("params, fragment", [
    ({"from": ["2026-13-45"], "to": ["2026-11-08"]}, "is not a pair of YYYY-MM-DD dates"),
    ({"from": ["2026-11-02"]}, "is not a pair of YYYY-MM-DD dates"),
    ({"from": ["'; DROP TABLE llm_calls; --"], "to": ["2026-11-08"]}, "is not a pair of YYYY-MM-DD dates"),
    ({"from": ["2026-11-09"], "to": ["2026-11-02"]}, "ends before it starts"),
    ({"from": ["2020-01-01"], "to": ["2026-11-02"]}, "is longer than 400 days"),
    ({"from": ["2027-06-01"], "to": ["2027-06-02"]}, "starts in the future"),
    ({"from": ["1999-12-01"], "to": ["1999-12-02"]}, "lies outside"),
    ({"from": ["20261102"], "to": ["20261108"]}, "is not a pair of YYYY-MM-DD dates"),
])
def test_bad_date_ranges_fall_back_to_the_default_window(params: dict[str, list[str]], fragment: str) -> None:
    view, notices = parse(**params)
    assert (view.days, view.start, view.end) == (DEFAULT_DAYS, None, None)
    assert len(notices) == 1 and fragment in notices[0]


@pytest.mark.parametrize("raw", ["0", "-5", "abc", "401", "99999999999999999999", "7.5", " ", "1e3", "٣"])
def test_bad_day_counts_fall_back_to_seven_days(raw: str) -> None:
    view, notices = parse(days=[raw])
    assert view.days == DEFAULT_DAYS
    assert len(notices) == 1 and "is not a number of days" in notices[0]


def test_unknown_services_and_environments_are_dropped_and_named() -> None:
    view, notices = parse(service=["support-bot", "' OR 1=1 --", "<script>alert(1)</script>"],
                          env=["prod", "*bold*"])
    assert view.services == ("support-bot",)
    assert view.environments == ("prod",)
    assert len(notices) == 2
    assert "Ignored unknown service" in notices[0]
    # Markdown and HTML in the echoed values are escaped, not rendered.
    assert "\\<script\\>" in notices[0] and "\\*bold\\*" in notices[1]


def test_thousands_of_values_are_capped() -> None:
    view, notices = parse(service=["support-bot"] * 10 + [f"svc-{i}" for i in range(5000)])
    assert view.services == ("support-bot",)
    assert any(f"first {MAX_VALUES}" in n for n in notices)


def test_control_characters_and_huge_values_are_shown_safely() -> None:
    _, notices = parse(service=["bad\x00name\n" + "x" * 10_000])
    assert len(notices) == 1
    assert "\x00" not in notices[0] and "\n" not in notices[0]
    assert len(notices[0]) < 200
