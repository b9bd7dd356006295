"""Plotly figures as plain dicts (the JSON plotly.js reads): building them
directly keeps a page's server time low, and the browser's plotly.js, served
from the installed plotly package, draws them offline. Each chart's modebar
downloads it as PNG."""

from __future__ import annotations

import math

PALETTE = ["#1f5fa8", "#e8883a", "#3a9a5b", "#c23b3b", "#7b5ea7", "#8c6d31", "#d36fb0", "#5f6b7a"]
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12, "color": "#223"}


def _clean(values) -> list:
    """JSON has no NaN: a gap in the line instead."""
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]


def _layout(title: str, y_format: str | None, **extra) -> dict:
    layout = {
        "title": {"text": title, "font": {"size": 14}, "x": 0, "xanchor": "left"},
        "font": FONT,
        "margin": {"l": 56, "r": 16, "t": 40, "b": 48},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
        "yaxis": {"gridcolor": "#e4e7ec", "zerolinecolor": "#c9ced6", "automargin": True},
        "xaxis": {"automargin": True},
        "height": 320,
    }
    if y_format:
        layout["yaxis"]["tickformat"] = y_format
    layout.update(extra)
    return layout


def tick_format(unit: str) -> str | None:
    return ".0%" if unit == "ratio" else None


def line(title: str, x: list[str], series: list[tuple[str, list]], unit: str = "count",
         dashed: tuple[str, ...] = ()) -> dict:
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": name, "x": x, "y": _clean(ys),
         "line": {"color": PALETTE[i % len(PALETTE)], "width": 2, "dash": "dot" if name in dashed else "solid"},
         "connectgaps": False}
        for i, (name, ys) in enumerate(series)
    ]
    # our period labels as they are (2025-07, 2025-Q3, 2025-W14), not read as dates
    return {"data": data, "layout": _layout(title, tick_format(unit), xaxis={"type": "category", "automargin": True})}


def bars(title: str, categories: list[str], series: list[tuple[str, list]], unit: str = "count",
         stacked: bool = False, horizontal: bool = False) -> dict:
    data = []
    for i, (name, values) in enumerate(series):
        trace = {"type": "bar", "name": name, "marker": {"color": PALETTE[i % len(PALETTE)]}}
        if horizontal:
            trace.update(y=categories, x=_clean(values), orientation="h")
        else:
            trace.update(x=categories, y=_clean(values))
        data.append(trace)
    layout = _layout(title, None, barmode="stack" if stacked else "group", hovermode="closest")
    axis = "xaxis" if horizontal else "yaxis"
    layout[axis] = {**layout.get(axis, {}), "gridcolor": "#e4e7ec", "automargin": True}
    if tick_format(unit):
        layout[axis]["tickformat"] = tick_format(unit)
    if horizontal:
        layout["yaxis"] = {"automargin": True, "autorange": "reversed"}
        layout["height"] = max(260, 28 * len(categories) + 90)
    if len(series) == 1:
        layout["showlegend"] = False
    return {"data": data, "layout": layout}


def funnel(title: str, steps: list[str], values: list, texts: list[str]) -> dict:
    data = [{"type": "funnel", "y": steps, "x": _clean(values), "text": texts, "textinfo": "text",
             "hoverinfo": "y+text", "marker": {"color": PALETTE[0]}}]
    layout = _layout(title, None, hovermode="closest", height=max(280, 48 * len(steps) + 80))
    layout["margin"]["l"] = 140
    return {"data": data, "layout": layout}


def waterfall(title: str, steps: list[str], measures: list[str], values: list, texts: list[str]) -> dict:
    """A walk from one total to another: `measures` says of each step whether
    it is a total (`absolute`, `total`) or a change (`relative`)."""
    data = [{"type": "waterfall", "x": steps, "y": _clean(values), "measure": measures, "text": texts,
             "textposition": "outside", "hoverinfo": "x+text", "connector": {"line": {"color": "#c9ced6"}},
             "increasing": {"marker": {"color": PALETTE[2]}}, "decreasing": {"marker": {"color": PALETTE[3]}},
             "totals": {"marker": {"color": PALETTE[0]}}}]
    layout = _layout(title, None, hovermode="closest", showlegend=False, height=360)
    layout["yaxis"]["automargin"] = True
    return {"data": data, "layout": layout}
