"""Figure builders: direct labels where they fit and never on top of each other, dollars on money, empty data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from app import charts

DAYS = [datetime(2026, 11, 2, tzinfo=UTC) + timedelta(days=i) for i in range(7)]


def series(values: dict[str, list[float]]) -> pd.DataFrame:
    rows = [{"bucket": day, "model": model, "value": v} for model, vs in values.items()
            for day, v in zip(DAYS, vs, strict=True)]
    return pd.DataFrame(rows)


def test_stacked_bands_are_named_where_thick_and_thin_ones_are_left_to_the_legend() -> None:
    fig = charts.stacked_over_time(series({
        "gpt-4o": [10, 10, 10, 10, 10, 10, 10], "gpt-4o-mini": [5, 6, 7, 8, 9, 10, 11], "tiny": [0.1] * 7,
    }), "model", {}, "calls")
    labels = {a.text for a in fig.layout.annotations}
    assert labels == {"gpt-4o", "gpt-4o-mini"}
    assert fig.layout.showlegend is True  # "tiny" has no direct label, so the legend stays
    assert [t.name for t in fig.data] == ["gpt-4o", "gpt-4o-mini", "tiny"]  # largest first (at the bottom)


def test_stacked_labels_never_crowd_the_same_spot() -> None:
    # Eight equally thin bands peaking on the same day: labels that would overlap are dropped.
    fig = charts.stacked_over_time(series({f"m{i}": [1, 1, 1, 9, 1, 1, 1] for i in range(8)}), "model", {}, "cost")
    spots = [(a.x, a.y) for a in fig.layout.annotations]
    peak = 8 * 9
    for i, (x1, y1) in enumerate(spots):
        for x2, y2 in spots[i + 1:]:
            assert not (x1 == x2 and abs(y1 - y2) < peak * charts.LABEL_GAP)
    assert fig.layout.yaxis.tickformat == "$,.2f"


def test_share_bars_show_dollars_and_shares_and_skip_unknown_cost() -> None:
    df = pd.DataFrame({"model": ["a", "b", "c"], "value": [0.14, 0.006, float("nan")],
                       "share": [0.14 / 0.146, 0.006 / 0.146, None]})
    fig = charts.share_bars(df, "model", "value", "share", {}, "cost")
    bar = fig.data[0]
    assert list(bar.y) == ["b", "a"]  # largest on top; the unknown-cost row is not drawn as $0
    assert list(bar.text) == ["$0.0060 · 4.1%", "$0.14 · 95.9%"]


def test_empty_frames_give_a_message_not_an_empty_axis() -> None:
    for fig in (charts.stacked_over_time(pd.DataFrame(columns=["bucket", "model", "value"]), "model", {}, "calls"),
                charts.share_bars(pd.DataFrame(columns=["model", "value", "share"]), "model", "value", "share",
                                  {}, "calls"),
                charts.run_cost_ranges(pd.DataFrame(columns=["task", "cost_per_run_p50", "cost_per_run_p95",
                                                             "cost_per_run_mean"]))):
        assert len(fig.data) == 0
        assert fig.layout.annotations[0].text in {"No calls in this window", "Nothing to show",
                                                  "No priced runs in this window"}


def test_end_labels_are_pushed_apart_when_lines_end_together() -> None:
    df = pd.DataFrame([{"bucket": d, "task": t, "rate": 0.0} for d in DAYS for t in ("a", "b", "c")])
    fig = charts.lines_with_end_labels(df, "bucket", "rate", "task", {}, ".0%")
    ys = sorted(a.y for a in fig.layout.annotations)
    assert len(ys) == 3
    assert all(later - earlier > 0 for earlier, later in zip(ys, ys[1:], strict=False))
