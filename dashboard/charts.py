"""Charts: Plotly figures built as plain dicts, with deployment and incident markers."""

from __future__ import annotations

import copy
import os

import numpy as np

# Imported whole before any chart is drawn: Plotly looks pandas up in sys.modules without
# importing it, so while one session's first table imports pandas, another session's chart
# met the half-imported module ("partially initialized module 'pandas'") on a fresh server
# with several first visits at once (tests/test_browser.py, the first demo build).
import pandas  # noqa: F401
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import streamlit as st

from dashboard.text import chart_text

# No Plotly template: st.plotly_chart draws with Streamlit's theme, and a template such as
# plotly_white is ~10 kB that every figure copied and sent along for nothing (it was most
# of a small chart's cost).
pio.templates.default = "none"
# The title sits at the top of the figure and pushes the plot down (automargin); the legend
# sits at the bottom of the figure, under the axis: a legend at the top right was drawn over
# a long title, and over any title at 390 px.
_LAYOUT = {
    "title": {"x": 0, "xanchor": "left", "yref": "container", "y": 1, "yanchor": "top",
              "pad": {"t": 12}, "automargin": True},
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    "hovermode": "x unified",
    "legend": {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0,
               "xanchor": "left", "x": 0},
}


# One colour per quantity across the app, defined once: cost is the same colour on every
# chart, and a status colour (ok / at risk / bad) never stands for a quantity.
COLOURS = {
    "cost": "#7c3aed",
    "business_value": "#16a34a",
    "net_value": "#2563eb",
    "deployments": "#93c5fd",
    "drift_alerts": "#f59e0b",
    "availability": "#2563eb",
    "ok": "#16a34a",
    "at_risk": "#f59e0b",
    "bad": "#dc2626",
    "neutral": "#94a3b8",
}
# Plotly's Dark24: enough distinct colours that 20 teams never share one.
PALETTE = ["#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF", "#222A2A", "#B68100",
           "#750D86", "#EB663B", "#511CFB", "#00A08B", "#FB00D1", "#FC0080", "#B2828D",
           "#6C7C32", "#778AAE", "#862A16", "#A777F1", "#620042", "#1616A7", "#DA60CA",
           "#6C4516", "#0D2A63", "#AF0038"]


# A status (bad / at risk / ok) on a bar: colour-blind-safe (Okabe-Ito vermillion, orange,
# bluish green, as the Reliability history and the risk tiers use) AND a fill pattern with
# a word in the legend, so the status never rests on colour alone (issue 28, item 13).
STATUS_STYLES = {
    "bad": {"color": "#D55E00", "pattern": "x"},
    "at_risk": {"color": "#E69F00", "pattern": "/"},
    "ok": {"color": "#009E73", "pattern": ""},
}


def status_bars(fig: Chart, y: list, x: list, statuses: list[str], labels: dict[str, str],
                ids: list, **props) -> list[list]:
    """Horizontal bars, one trace per status present (in STATUS_STYLES order) so the legend
    names each status by its pattern and colour; the categories keep the order of `y`.
    `labels` names each status for the legend; list-valued props (text, customdata) are
    split with the bars. Returns the ids per trace, for plot(models=...)."""
    per_trace = []
    for status, style in STATUS_STYLES.items():
        rows = [i for i, s in enumerate(statuses) if s == status]
        if not rows:
            continue
        pick = {k: [v[i] for i in rows] if isinstance(v, list) else v
                for k, v in props.items()}
        fig.add_bar(y=[y[i] for i in rows], x=[x[i] for i in rows], orientation="h",
                    name=labels[status], legendgroup=status,
                    marker={"color": style["color"],
                            "pattern": {"shape": style["pattern"], "fillmode": "overlay",
                                        "fgcolor": "#000000", "fgopacity": 0.45}},
                    **pick)
        per_trace.append([ids[i] for i in rows])
    fig.update_yaxes(categoryorder="array", categoryarray=list(y))
    return per_trace


def colour_for(names) -> dict[str, str]:
    """A stable colour per name (sorted), from PALETTE: a team keeps its colour on every
    chart whatever the others shown."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(sorted(set(names)))}


def clipped(values, at: float = 2.0) -> tuple[list, list[str]]:
    """Values clipped at `at` (e.g. 200%), with a label for each clipped one (its real
    value), so one outlier does not squash every other bar."""
    shown, labels = [], []
    for v in values:
        if v is not None and v > at:
            shown.append(at)
            labels.append(f"{v:.0%} ▶")
        else:
            shown.append(v)
            labels.append("")
    return shown, labels


def partial_days(starts, period: str, start, end) -> list[int | None]:
    """Per bucket starting at each of `starts` (a day, ISO week or month), the days of it
    inside the window [start, end) when fewer than the whole bucket; None for a whole one."""
    from datetime import datetime, timedelta

    out = []
    for s in starts:
        s = s if isinstance(s, datetime) else datetime.combine(s, datetime.min.time())
        if period == "week":
            e = s + timedelta(days=7)
        elif period == "month":
            e = (s.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            e = s + timedelta(days=1)
        inside = (min(e, end) - max(s, start)).total_seconds() / 86400
        whole = (e - s).total_seconds() / 86400
        out.append(None if inside >= whole else max(round(inside, 1), 0))
    return out


class Chart:
    """A Plotly figure kept as plain dicts while a page builds it.

    It has the few go.Figure methods the pages use, with the same arguments (including
    "magic underscores" such as marker_color). go.Figure's own methods resolve and
    validate each property path as they go, 1-2 ms a call, which made charts the largest
    part of a page's time. The finished dict is checked against Plotly's schema in one
    pass when the tests draw it (see plot and VALIDATE_CHARTS).
    """

    def __init__(self, layout: dict):
        self.data: list[dict] = []
        self.layout = layout

    def add_scatter(self, **props) -> Chart:
        return self._add("scatter", props)

    def add_bar(self, **props) -> Chart:
        return self._add("bar", props)

    def add_heatmap(self, **props) -> Chart:
        return self._add("heatmap", props)

    def add_traces(self, traces: list[dict]) -> Chart:
        self.data.extend(dict(t) for t in traces)
        return self

    def update_layout(self, **props) -> Chart:
        _merge(self.layout, _nest(props))
        return self

    def update_xaxes(self, **props) -> Chart:
        _merge(self.layout.setdefault("xaxis", {}), _nest(props))
        return self

    def update_yaxes(self, **props) -> Chart:
        _merge(self.layout.setdefault("yaxis", {}), _nest(props))
        return self

    def add_hline(self, y, line: dict | None = None, annotation_text: str | None = None,
                  **props) -> Chart:
        """A horizontal line across the plot at `y`, labelled at its right end."""
        return self._line({"xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y,
                           "y1": y}, line, annotation_text,
                          {"xref": "x domain", "x": 1, "xanchor": "right", "yref": "y",
                           "y": y, "yanchor": "bottom"}, props)

    def add_vline(self, x, line: dict | None = None, annotation_text: str | None = None,
                  **props) -> Chart:
        """A vertical line across the plot at `x`, labelled at its top."""
        return self._line({"xref": "x", "x0": x, "x1": x, "yref": "y domain", "y0": 0,
                           "y1": 1}, line, annotation_text,
                          {"xref": "x", "x": x, "xanchor": "center", "yref": "y domain",
                           "y": 1, "yanchor": "bottom"}, props)

    def to_dict(self) -> dict:
        return {"data": self.data, "layout": self.layout}

    def _add(self, kind: str, props: dict) -> Chart:
        # Columns as Plotly takes them fastest (see _plain).
        props = {k: _plain(v) for k, v in props.items()}
        self.data.append({"type": kind, **_nest(props)})
        return self

    def _line(self, where: dict, line: dict | None, text: str | None, label: dict,
              props: dict) -> Chart:
        props = _nest(props)
        props.pop("annotation", None)  # the label's position is fixed (see add_hline/vline)
        shape = {"type": "line", **where, "line": {**(line or {}), **props.get("line", {})}}
        self.layout.setdefault("shapes", []).append(shape)
        if text:
            self.layout.setdefault("annotations", []).append(
                {"text": text, "showarrow": False, **label})
        return self


_NESTED = ("marker", "line", "annotation", "title", "legend", "font")


def _plain(value):
    """A polars column as Plotly takes it fastest: numbers as a numpy array, dates and times
    as ISO strings (what Plotly's encoder would write; a list of datetime objects is slow
    to copy), text as a list."""
    if not isinstance(value, pl.Series):
        return value
    if value.dtype.is_numeric():
        return value.to_numpy()
    if value.dtype == pl.Date:
        return value.dt.strftime("%Y-%m-%d").to_list()
    if value.dtype.is_temporal():
        return value.dt.strftime("%Y-%m-%dT%H:%M:%S").to_list()
    return value.to_list()


def _nest(props: dict) -> dict:
    """Plotly's magic underscores: marker_color=... is marker={"color": ...}."""
    out: dict = {}
    for key, value in props.items():
        if key == "title" and isinstance(value, str):
            value = {"text": value}  # the shorthand Plotly's validation would expand
        head, _, rest = key.partition("_")
        if rest and head in _NESTED:
            out.setdefault(head, {})[rest] = value
        else:
            _merge(out, {key: value})
    return out


def _merge(into: dict, props: dict) -> None:
    for key, value in props.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def figure(title: str, y_title: str, x_title: str = "", height: int = 360) -> Chart:
    """A chart titled `title`; what follows its first " · " (the scope, a note) goes on a
    subtitle line, so a long title is not clipped in a half-width column or at 390 px."""
    layout = copy.deepcopy(_LAYOUT)
    head, _, rest = title.partition(" · ")
    layout["title"]["text"] = head
    if rest:
        layout["title"]["subtitle"] = {"text": rest}
    return Chart({**layout, "height": height, "yaxis": {"title": {"text": y_title}},
                  "xaxis": {"title": {"text": x_title}}})


# Past this many points a scatter of markers is drawn with WebGL (scattergl): the same
# picture, while SVG adds a DOM node per point and slows the page down.
WEBGL_POINTS = 500
EVENT_MARKERS = 150  # beyond this, one marker per day with counts: still readable, fast


def event_markers(deployments: pl.DataFrame | None = None,
                  incidents: pl.DataFrame | None = None, everything: bool = False
                  ) -> list[dict]:
    """Marker traces for deployments (triangles) and incidents (crosses), for mark_events.

    By default only the events that explain a change are marked: failed changes (failed,
    rolled back, or named by an incident) and sev 1-2 incidents. Over a wide scope there is
    a deployment and an incident on every day, and markers that are everywhere say nothing
    (and cost the browser a point each). `everything=True` (a toggle on the page) marks
    them all, red where failed or severe.

    Up to EVENT_MARKERS marked events each get a marker whose hover shows the model's name,
    the version and outcome (a deployment) or the severity and incident id; more than that get one marker per day whose hover
    counts them, with that day's total of all events.
    """
    traces = []
    if deployments is not None and deployments.height:
        bad = pl.col("outcome") != "succeeded"
        if "failed_change" in deployments.columns:
            bad = bad | pl.col("failed_change").fill_null(False)
        marked = deployments if everything else deployments.filter(bad)
        if marked.height <= EVENT_MARKERS:
            marks = marked.select(
                pl.col("deployed_at").alias("x"), bad.alias("bad"),
                pl.format("{} v{} · {} · {}", _name(deployments),
                          "version", pl.col("outcome").str.replace_all("_", " "),
                          pl.col("deployed_at").dt.strftime("%d %b %H:%M"))
                .map_elements(chart_text, return_dtype=pl.String).alias("text"))
        else:
            marks = _per_day(deployments, "deployed_at", bad, "deployments",
                             "failed or rolled back, or named by an incident", everything)
        if marks.height:
            traces.append(_markers(marks, "deployment" if everything else "failed change",
                                   "triangle-up", 0.03, "#16a34a"))
    if incidents is not None and incidents.height:
        severe = pl.col("severity") <= 2
        marked = incidents if everything else incidents.filter(severe)
        if marked.height <= EVENT_MARKERS:
            marks = marked.select(
                pl.col("started_at").alias("x"), severe.alias("bad"),
                pl.format("Sev {} incident {} on {}", "severity", "incident_id",
                          _name(incidents)).map_elements(chart_text, return_dtype=pl.String)
                .alias("text"))
        else:
            marks = _per_day(incidents, "started_at", severe, "incidents", "sev 1-2",
                             everything)
        if marks.height:
            traces.append(_markers(marks, "incident" if everything else "sev 1-2 incident",
                                   "x", 0.09, "#f59e0b"))
    return traces


def _name(events: pl.DataFrame) -> pl.Expr:
    """The model's name for a hover (its id only when a frame has no name)."""
    return pl.col("model" if "model" in events.columns else "model_id")


def mark_events(fig: Chart, markers: list[dict]) -> Chart:
    """Add event_markers(...) along the time axis of `fig`, on a hidden second axis so
    they stay at the bottom whatever the scale."""
    if markers:
        fig.update_layout(yaxis2={"overlaying": "y", "range": [0, 1], "visible": False,
                                  "fixedrange": True})
        fig.add_traces(markers)
    return fig


def _per_day(events: pl.DataFrame, at: str, bad: pl.Expr, what: str, bad_means: str,
             everything: bool = True):
    days = (events.group_by(pl.col(at).dt.truncate("1d").alias("x"))
            .agg(pl.len().alias("n"), bad.sum().alias("n_bad"))
            .sort("x"))
    if not everything:
        days = days.filter(pl.col("n_bad") > 0)
    return (days
            .select("x", (pl.col("n_bad") > 0).alias("bad"),
                    pl.format("{}: {} " + what + ", {} " + bad_means, pl.col("x").dt.date(),
                              "n", "n_bad").alias("text")))


def _markers(marks: pl.DataFrame, name: str, symbol: str, y: float, colour: str) -> dict:
    """A failed or severe event is red and filled, the others their colour and open: the
    shape tells them apart where the colour cannot (colour blindness, a grey print)."""
    colours = marks.select(pl.when("bad").then(pl.lit("#dc2626")).otherwise(pl.lit(colour)))
    symbols = marks.select(pl.when("bad").then(pl.lit(symbol))
                           .otherwise(pl.lit(f"{symbol}-open")))
    return {"type": "scatter", "x": _plain(marks["x"]), "y": [y] * marks.height,
            "yaxis": "y2", "mode": "markers", "name": name,
            "marker": {"symbol": symbols.to_series().to_list(), "size": 9,
                       "color": colours.to_series().to_list()},
            "hovertext": marks["text"].to_list(), "hoverinfo": "text"}


def cost_against_value(daily, money: str = "$%{y:,.0f}", net: bool = False) -> Chart:
    """Daily cost (bars) against business value (a line), and net value (dotted) if `net`:
    `daily` has day, cost_usd, business_value_usd (and net_value_usd); `money` is the hover
    format of a dollar amount."""
    fig = figure("Daily cost vs business value", "US dollars per day")
    fig.add_bar(x=daily["day"], y=daily["cost_usd"], name="cost",
                marker_color=COLOURS["cost"], hovertemplate=money)
    fig.add_scatter(x=daily["day"], y=daily["business_value_usd"], name="business value",
                    mode="lines+markers", line_color=COLOURS["business_value"],
                    hovertemplate=money)
    if net:
        fig.add_scatter(x=daily["day"], y=daily["net_value_usd"], name="net value",
                        mode="lines", line={"color": COLOURS["net_value"], "dash": "dot"},
                        hovertemplate=money)
    fig.update_yaxes(tickprefix="$", tickformat=",.0f")
    return fig


# The properties of a trace that hold data (categories, names, labels, custom data): shown by
# Plotly in axes, legends, bars and hovers. Hover texts and templates are built in code, with
# their data parts escaped where they are built (event_markers, the reliability heatmap).
DATA_PROPERTIES = ("x", "y", "z", "text", "name", "customdata", "labels", "legendgroup")


def _as_text(figure: dict) -> dict:
    """Every string of the traces' data escaped for Plotly (dashboard/text.chart_text): a
    name holding `<a href=...>` is shown as written, never as a link or markup."""
    traces = [{k: _escaped(v) if k in DATA_PROPERTIES else v for k, v in trace.items()}
              for trace in figure.get("data", [])]
    return {**figure, "data": traces}  # new dicts: the Chart (maybe cached) stays as built


def _escaped(value):
    if isinstance(value, str):
        return chart_text(value)
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind in "biufcmM" else np.vectorize(
            _escaped, otypes=[object])(value) if value.size else value
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value


# Plotly checks every property of a figure against its schema, which costs about as much as
# the rest of drawing the chart (13 ms for the 30 traces of the drift chart). The tests,
# which draw every page, run with the check on (tests/conftest.py sets this), so a wrong
# property fails there; a served page skips it.
VALIDATE_CHARTS = os.environ.get("MODELOPS_VALIDATE_CHARTS") == "1"


# No Plotly mode bar: its eight buttons were eight Tab stops per chart (about 40 Tabs to get
# past Overview's charts). Streamlit's own toolbar keeps full screen; hover, click-to-open
# and drag-to-zoom (double click resets) work without it.
CONFIG = {"displaylogo": False, "displayModeBar": False}


def plot(fig: Chart, key: str | None = None,
         models: list[list[str] | None] | None = None) -> None:
    """Draw `fig`. With `models` (per trace, the model id of each point; None for a trace
    that is not per model), clicking a point opens that model's detail page."""
    figure = go.Figure(_as_text(fig.to_dict()), _validate=VALIDATE_CHARTS)
    if not models:
        st.plotly_chart(figure, key=key, config=CONFIG)
        return
    picked = st.plotly_chart(figure, key=key, config=CONFIG,
                             on_select="rerun", selection_mode="points")
    for point in (picked.selection.points if picked is not None else []):
        ids = models[point["curve_number"]] if point["curve_number"] < len(models) else None
        if ids and point.get("point_index") is not None:
            from dashboard import tables

            tables.open_detail(ids[point["point_index"]])
