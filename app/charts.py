"""Pure Plotly figure builders: DataFrames in, figures out (no Streamlit, no database).

Every chart labels its series directly (band names at the right edge, values on bars) so it reads
without a legend hunt, formats money as dollars and shares as percentages, and colors models and
tiers through ``app.colors`` so a model looks the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from app.colors import color_of
from app.format import money, percent, tokens

FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13)
LABEL_MIN_SHARE = 0.07  # bands thinner than this (of the tallest stack) get no direct label
LABEL_GAP = 0.09  # labels closer than this (of the tallest stack) in nearby buckets would overlap
UNIFORM_COLOR = "#1A73E8"
CONFIDENCE_COLORS = {"high": "#2E9E5B", "medium": "#E08E00", "low": "#8A9096"}


def _layout(fig: go.Figure, *, height: int = 360, right: int = 24, legend: bool = False) -> go.Figure:
    fig.update_layout(
        template="plotly_white", height=height, font=FONT, showlegend=legend,
        margin=dict(l=8, r=right, t=16 if not legend else 40, b=8), hoverlabel=dict(font=FONT),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
    )
    return fig


def _value_text(value: float, measure: str) -> str:
    if measure == "cost":
        return money(value)
    if measure == "tokens":
        return tokens(value)
    return f"{value:,.0f}"


def _axis_format(fig: go.Figure, measure: str, axis: str = "y") -> None:
    fmt = {"cost": "$,.2f", "share": ".0%"}.get(measure, "~s")
    fig.update_layout({f"{axis}axis": dict(tickformat=fmt)})


def empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=15, color="#5F6368"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, height=200)


def stacked_over_time(df: pd.DataFrame, category: str, colors: dict[str, str], measure: str) -> go.Figure:
    """Stacked areas of ``value`` per ``category`` over ``bucket``, each band named at its right end."""
    if df.empty:
        return empty_figure("No calls in this window")
    wide = df.pivot_table(index="bucket", columns=category, values="value", aggfunc="sum", fill_value=0.0)
    order = wide.sum().sort_values(ascending=False).index.tolist()
    fig = go.Figure()
    for name in order:
        fig.add_trace(go.Scatter(
            x=wide.index, y=wide[name], name=str(name) or "unknown", stackgroup="one", mode="lines",
            line=dict(width=0.5, color=color_of(str(name), colors)),
            hovertemplate="%{x|%b %d}<br>" + (str(name) or "unknown") + ": %{customdata}<extra></extra>",
            customdata=[_value_text(v, measure) for v in wide[name]],
        ))
    tops = wide[order].cumsum(axis=1)
    peak = float(tops.iloc[:, -1].max()) or 1.0
    placed: list[tuple[int, float]] = []  # (bucket index, y) of labels already drawn
    positions = list(wide.index)
    for name in sorted(order, key=lambda n: -float(wide[n].max())):  # thickest bands choose first
        at = wide[name].idxmax()
        thickness = float(wide.at[at, name])
        y = float(tops.at[at, name]) - thickness / 2
        i = positions.index(at)
        crowded = any(abs(i - j) <= 2 and abs(y - other) < peak * LABEL_GAP for j, other in placed)
        if thickness / peak < LABEL_MIN_SHARE or crowded:
            continue
        placed.append((i, y))
        fig.add_annotation(x=at, y=y, text=str(name) or "unknown", showarrow=False, borderpad=2,
                           font=dict(color="#202124", size=12), bgcolor="rgba(255,255,255,0.75)")
    labelled = len(placed)
    _axis_format(fig, measure)
    return _layout(fig, height=380, legend=labelled < len(order))


def share_bars(df: pd.DataFrame, category: str, value: str, share: str, colors: dict[str, str] | None,
               measure: str, top: int = 15) -> go.Figure:
    """Horizontal bars, largest on top, each labelled with its value and share (one color when
    ``colors`` is None: the bars are then things, like tasks, whose color carries no meaning)."""
    data = df.dropna(subset=[value]).sort_values(value, ascending=False).head(top)
    if data.empty:
        return empty_figure("Nothing to show")
    data = data.iloc[::-1]
    names = [str(n) or "unknown" for n in data[category]]
    text = [f"{_value_text(v, measure)} · {percent(s)}" for v, s in zip(data[value], data[share], strict=True)]
    fig = go.Figure(go.Bar(
        x=data[value], y=names, orientation="h", text=text, textposition="outside", cliponaxis=False,
        marker_color=[color_of(str(n), colors) if colors is not None else UNIFORM_COLOR for n in data[category]],
        hoverinfo="skip",
    ))
    _axis_format(fig, measure, "x")
    fig.update_xaxes(showticklabels=False, showgrid=False)
    return _layout(fig, height=max(200, 36 * len(data) + 60), right=150)


def breakdown_bars(df: pd.DataFrame, split: str, by: str, colors: dict[str, str], measure: str,
                   top: int = 12) -> go.Figure:
    """One 100% bar per service / task, split by model (or tier / provider), names inside the segments."""
    if df.empty:
        return empty_figure("Nothing to show")
    totals = df.groupby(split)["value"].sum().sort_values(ascending=False).head(top)
    data = df[df[split].isin(totals.index)]
    rows = [str(s) or "unknown" for s in totals.index[::-1]]
    fig = go.Figure()
    for name, part in data.groupby(by, sort=False):
        shares = part.set_index(split)["share"].reindex(totals.index[::-1]).fillna(0.0)
        values = part.set_index(split)["value"].reindex(totals.index[::-1]).fillna(0.0)
        label = str(name) or "unknown"
        fig.add_trace(go.Bar(
            x=shares, y=rows, orientation="h", name=label, marker_color=color_of(label, colors),
            text=[label if s >= 0.12 else "" for s in shares], textposition="inside", insidetextanchor="middle",
            customdata=[_value_text(v, measure) for v in values],
            hovertemplate="%{y}<br>" + label + ": %{x:.1%} (%{customdata})<extra></extra>",
        ))
    fig.update_layout(barmode="stack", uniformtext=dict(minsize=10, mode="hide"))
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    return _layout(fig, height=max(220, 40 * len(rows) + 90), legend=True)


def lines_with_end_labels(df: pd.DataFrame, x: str, y: str, series: str, colors: dict[str, str],
                          y_format: str, top: Sequence[str] | None = None) -> go.Figure:
    """One line per series, named at its last point; labels nudged apart so they never overlap."""
    data = df.dropna(subset=[y])
    if top is not None:
        data = data[data[series].isin(top)]
    if data.empty:
        return empty_figure("Nothing to show")
    fig = go.Figure()
    ends: list[tuple[float, str, object]] = []
    for name, part in data.groupby(series, sort=True):
        part = part.sort_values(x)
        label = str(name) or "unknown"
        color = color_of(label, colors)
        fig.add_trace(go.Scatter(x=part[x], y=part[y], mode="lines+markers", name=label,
                                 line=dict(color=color, width=2), marker=dict(size=5),
                                 hovertemplate=f"{label}<br>%{{x|%b %d}}: %{{y:{y_format}}}<extra></extra>"))
        ends.append((float(part[y].iloc[-1]), label, part[x].iloc[-1]))
    ends.sort()
    span = (float(data[y].max()) - float(data[y].min())) or 1.0
    gap, placed = span * 0.07, -float("inf")
    for value, label, at in ends:
        spot = max(value, placed + gap)
        placed = spot
        fig.add_annotation(x=at, y=spot, text=label, showarrow=False, xanchor="left", xshift=8,
                           font=dict(color=color_of(label, colors)))
    fig.update_yaxes(tickformat=y_format, rangemode="tozero")
    return _layout(fig, height=380, right=180)


def run_cost_ranges(df: pd.DataFrame, top: int = 15) -> go.Figure:
    """Cost per run for each task: a bar from the median (p50) to p95, the mean as a diamond."""
    data = df.dropna(subset=["cost_per_run_p50"]).head(top)
    if data.empty:
        return empty_figure("No priced runs in this window")
    data = data.iloc[::-1]
    fig = go.Figure()
    for _, row in data.iterrows():
        fig.add_trace(go.Scatter(x=[row.cost_per_run_p50, row.cost_per_run_p95], y=[row.task, row.task],
                                 mode="lines", line=dict(color="#BDC1C6", width=6), hoverinfo="skip",
                                 showlegend=False))
    fig.add_trace(go.Scatter(x=data.cost_per_run_p50, y=data.task, mode="markers", name="median (p50)",
                             marker=dict(color=UNIFORM_COLOR, size=11),
                             hovertemplate="%{y} p50: $%{x:,.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=data.cost_per_run_p95, y=data.task, mode="markers+text", name="p95",
                             marker=dict(color="#B2387A", size=13, symbol="line-ns-open", line=dict(width=3)),
                             text=[f"{money(a)} – {money(b)}" for a, b in
                                   zip(data.cost_per_run_p50, data.cost_per_run_p95, strict=True)],
                             textposition="middle right",
                             cliponaxis=False, hovertemplate="%{y} p95: $%{x:,.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=data.cost_per_run_mean, y=data.task, mode="markers", name="mean",
                             marker=dict(color="#E08E00", size=9, symbol="diamond"),
                             hovertemplate="%{y} mean: $%{x:,.4f}<extra></extra>"))
    low, high = float(data.cost_per_run_p50.min()), float(data.cost_per_run_p95.max())
    log = low > 0 and high / low > 50
    fig.update_xaxes(type="log" if log else "linear", tickprefix="$", tickformat="~g" if log else ",.4~f")
    return _layout(fig, height=max(240, 40 * len(data) + 90), right=140, legend=True)


def histogram(values: pd.Series, x_title: str) -> go.Figure:
    data = values.dropna()
    if data.empty:
        return empty_figure("No priced runs")
    fig = go.Figure(go.Histogram(x=data, nbinsx=40, marker_color="#1A73E8",
                                 hovertemplate="$%{x}<br>%{y} runs<extra></extra>"))
    fig.update_xaxes(title=x_title, tickprefix="$")
    fig.update_yaxes(title="runs")
    return _layout(fig, height=280)


def labelled_bars(labels: Sequence[str], values: Sequence[float], texts: Sequence[str],
                  colors: Sequence[str], right: int = 220) -> go.Figure:
    """Horizontal bars in the given order (first on top), each with its own text."""
    if not labels:
        return empty_figure("Nothing to show")
    fig = go.Figure(go.Bar(x=list(values)[::-1], y=list(labels)[::-1], orientation="h", text=list(texts)[::-1],
                           textposition="outside", cliponaxis=False, marker_color=list(colors)[::-1],
                           hoverinfo="skip"))
    fig.update_xaxes(showticklabels=False, showgrid=False)
    fig.update_yaxes(automargin=True)
    return _layout(fig, height=max(200, 36 * len(labels) + 60), right=right)


def savings_bars(df: pd.DataFrame, top: int = 15) -> go.Figure:
    """Downgrade candidates by savings, colored by confidence."""
    data = df.head(top)
    labels = [f"{t} · {m} → {s}" for t, m, s in zip(data.task, data.model, data.suggested_model, strict=True)]
    texts = [f"{money(v)} ({c})" for v, c in zip(data.savings_usd, data.confidence, strict=True)]
    return labelled_bars(labels, list(data.savings_usd), texts,
                         [CONFIDENCE_COLORS.get(c, "#8A9096") for c in data.confidence])


def actual_vs_projected(actual: pd.DataFrame, projected: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Spend per model: projected (in the model's color) above actual (grey), each with its dollar label."""
    models = list(dict.fromkeys([*actual["model"], *projected["model"]]))
    if not models:
        return empty_figure("No priced calls in this window")
    a = actual.set_index("model")["cost_usd"].reindex(models).fillna(0.0)
    p = projected.set_index("model")["cost_usd"].reindex(models).fillna(0.0)
    order = (a + p).sort_values().index.tolist()
    fig = go.Figure()
    fig.add_trace(go.Bar(y=order, x=a[order], orientation="h", name="actual", marker_color="#BDC1C6",
                         text=[money(v) for v in a[order]], textposition="outside", cliponaxis=False))
    fig.add_trace(go.Bar(y=order, x=p[order], orientation="h", name="projected",
                         marker_color=[color_of(m, colors) for m in order],
                         text=[money(v) for v in p[order]], textposition="outside", cliponaxis=False))
    fig.update_layout(barmode="group")
    fig.update_xaxes(showticklabels=False, showgrid=False)
    return _layout(fig, height=max(240, 60 * len(order) + 80), right=110)
