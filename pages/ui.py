"""The visual pieces every page repeats: header, KPI tiles, tables, charts with events.

Nothing here queries or computes a KPI; it only draws what the warehouse layer returned.
Text from the data is never rendered as HTML (no unsafe_allow_html anywhere).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import streamlit as st

from queries.filters import Filter

DEFINITIONS = "/definitions"

# --- number formats (display only; the data stays raw) ---------------------------------


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(x, digits: int = 2) -> str:
    return "–" if _missing(x) else f"{x * 100:.{digits}f}%"


def ms(x) -> str:
    return "–" if _missing(x) else f"{x:,.0f} ms"


def usd(x) -> str:
    """Compact dollars for tiles: $812, $2.05k, $1.23M."""
    if _missing(x):
        return "–"
    sign, x = ("-" if x < 0 else ""), abs(x)
    if x >= 1e6:
        return f"{sign}${x / 1e6:,.2f}M"
    if x >= 1e3:
        return f"{sign}${x / 1e3:,.2f}k"
    return f"{sign}${x:,.0f}" if x >= 100 else f"{sign}${x:,.2f}"


def count(x) -> str:
    if _missing(x):
        return "–"
    x = float(x)
    if abs(x) >= 1e9:
        return f"{x / 1e9:.2f}B"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.2f}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:.1f}k"
    return f"{x:,.0f}" if x == int(x) else f"{x:,.2f}"


def minutes(x) -> str:
    if _missing(x):
        return "–"
    return f"{x / 60:.1f} h" if x >= 120 else f"{x:.0f} min"


def ratio(x) -> str:
    return "–" if _missing(x) else f"{x:.2f}"


# --- page pieces ------------------------------------------------------------------------


def page_header(title: str, what: str, anchor: str = "") -> None:
    """Title and the one line that says what the page shows and how it is defined."""
    st.title(title)
    link = f"{DEFINITIONS}#{anchor}" if anchor else DEFINITIONS
    st.caption(f"{what} [How the numbers are defined]({link})")


def current_filter() -> Filter:
    require_app_shell()
    return st.session_state["filter"]


def require_app_shell() -> None:
    """Make sure this run went through app.py (filter bar, access scope, navigation).

    A folder named pages/ beside app.py makes Streamlit start each server (and AppTest
    each run) in its legacy multipage mode, in which a page URL runs the page file alone,
    until app.py's st.navigation turns that mode off. If this run is in that mode, turn it
    off as st.navigation would and rerun: app.py then runs and navigates to the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def window_caption(f: Filter) -> str:
    last = f.end.date().fromordinal(f.end.date().toordinal() - 1)
    return f"{f.start:%d %b %Y} – {last:%d %b %Y} UTC"


def empty_state(why: str) -> None:
    st.info(why, icon=":material/info:")


@dataclass(frozen=True)
class Tile:
    label: str
    key: str  # column of the KPI row
    fmt: Callable = count
    higher_is_better: bool | None = True  # None: change has no good direction
    as_points: bool = False  # a ratio: show the change in percentage points
    help: str | None = None


def kpi_tiles(tiles: list[Tile], now: dict, before: dict, per_row: int = 6) -> None:
    """One metric per tile with the change against the previous equal period."""
    for start in range(0, len(tiles), per_row):
        columns = st.columns(per_row)
        for column, tile in zip(columns, tiles[start:start + per_row]):
            value, previous = now.get(tile.key), before.get(tile.key)
            delta = None
            if not _missing(value) and not _missing(previous):
                change = value - previous
                if tile.as_points:
                    delta = f"{change * 100:+.2f} pp"
                elif previous:
                    delta = f"{change / abs(previous) * 100:+.1f}%"
            colour = ("off" if tile.higher_is_better is None or not delta
                      or float(delta.split()[0].rstrip("%")) == 0 else
                      "normal" if tile.higher_is_better else "inverse")
            column.metric(tile.label, tile.fmt(value), delta, delta_color=colour,
                          help=tile.help, border=True)


def first_row(frame: pl.DataFrame) -> dict:
    return frame.row(0, named=True) if frame.height else {}


_COLUMN_KINDS = {
    "pct": lambda label: st.column_config.NumberColumn(label, format="percent"),
    "usd": lambda label: st.column_config.NumberColumn(label, format="dollar"),
    "ms": lambda label: st.column_config.NumberColumn(label, format="%.0f ms"),
    "min": lambda label: st.column_config.NumberColumn(label, format="%.0f min"),
    "int": lambda label: st.column_config.NumberColumn(label, format="localized"),
    "float": lambda label: st.column_config.NumberColumn(label, format="%.2f"),
    "link": lambda label: st.column_config.LinkColumn(label, display_text="open"),
    "dt": lambda label: st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm"),
}


def table(frame: pl.DataFrame, formats: dict[str, str] | None = None,
          labels: dict[str, str] | None = None, height: int | str = "auto",
          key: str | None = None) -> None:
    """A read-only table; `formats` maps a column to a kind of _COLUMN_KINDS."""
    formats, labels = formats or {}, labels or {}
    links = [c for c in frame.columns if formats.get(c) == "link"]
    if links:
        frame = frame.with_columns(safe_link(pl.col(c)).alias(c) for c in links)
    config = {
        column: _COLUMN_KINDS.get(formats.get(column), st.column_config.Column)(
            labels.get(column, column.replace("_", " ")))
        for column in frame.columns
    }
    if isinstance(height, int):  # a short table does not draw empty rows
        height = min(height, 35 * (frame.height + 1) + 3)
    st.dataframe(frame, column_config=config, hide_index=True, height=height, key=key)


def safe_link(url: pl.Expr) -> pl.Expr:
    """Only web links and the app's own paths become links; `javascript:` and other
    schemes from the data are dropped, never made clickable."""
    return pl.when(url.str.contains(r"^(?i:https?://|/[^/])")).then(url)


def with_detail_link(frame: pl.DataFrame, column: str = "model_id") -> pl.DataFrame:
    """Add a `detail` link to the model-detail page, carrying the model id in the URL."""
    return frame.with_columns(
        (pl.lit("/model?id=") + pl.col(column)).alias("detail"))


# --- charts -----------------------------------------------------------------------------


# Plotly validates every layout property it is given, and applying a template per figure
# costs ~10 ms: the shared part is validated once, here, and the template set as default.
pio.templates.default = "plotly_white"
_LAYOUT = go.Layout(
    title=dict(x=0, xanchor="left"), margin=dict(l=10, r=10, t=50, b=10),
    hovermode="x unified",
    legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
)


def figure(title: str, y_title: str, x_title: str = "", height: int = 360) -> go.Figure:
    fig = go.Figure(layout=_LAYOUT)
    fig.update_layout(title_text=title, height=height, yaxis_title=y_title,
                      xaxis_title=x_title)
    return fig


EVENT_MARKERS = 150  # beyond this, one marker per day with counts: still readable, fast


def mark_events(fig: go.Figure, deployments: pl.DataFrame | None = None,
                incidents: pl.DataFrame | None = None) -> go.Figure:
    """Mark deployments (triangles) and incidents (crosses) along the time axis.

    Markers sit on a hidden second axis so they stay at the bottom whatever the scale.
    Up to EVENT_MARKERS events each get a marker whose hover shows the id, model, version
    and outcome or severity; more than that (a wide scope) get one marker per day whose
    hover counts them, and red means a failed change or a sev 1-2 incident that day.
    """
    fig.update_layout(yaxis2=dict(overlaying="y", range=[0, 1], visible=False,
                                  fixedrange=True))
    if deployments is not None and deployments.height:
        bad = pl.col("outcome") != "succeeded"
        if "failed_change" in deployments.columns:
            bad = bad | pl.col("failed_change").fill_null(False)
        if deployments.height <= EVENT_MARKERS:
            marks = deployments.select(
                pl.col("deployed_at").alias("x"), bad.alias("bad"),
                pl.format("deployment {} · {} v{} · {}", "deployment_id", "model_id",
                          "version", "outcome").alias("text"))
        else:
            marks = _per_day(deployments, "deployed_at", bad, "deployments",
                             "failed or rolled back, or named by an incident")
        _add_markers(fig, marks, "deployment", "triangle-up", 0.03, "#16a34a")
    if incidents is not None and incidents.height:
        severe = pl.col("severity") <= 2
        if incidents.height <= EVENT_MARKERS:
            marks = incidents.select(
                pl.col("started_at").alias("x"), severe.alias("bad"),
                pl.format("incident {} · {} · sev {}", "incident_id", "model_id",
                          "severity").alias("text"))
        else:
            marks = _per_day(incidents, "started_at", severe, "incidents", "sev 1-2")
        _add_markers(fig, marks, "incident", "x", 0.09, "#f59e0b")
    return fig


def _per_day(events: pl.DataFrame, at: str, bad: pl.Expr, what: str, bad_means: str):
    return (events.group_by(pl.col(at).dt.truncate("1d").alias("x"))
            .agg(pl.len().alias("n"), bad.sum().alias("n_bad"))
            .sort("x")
            .select("x", (pl.col("n_bad") > 0).alias("bad"),
                    pl.format("{}: {} " + what + ", {} " + bad_means, pl.col("x").dt.date(),
                              "n", "n_bad").alias("text")))


def _add_markers(fig: go.Figure, marks: pl.DataFrame, name: str, symbol: str, y: float,
                 colour: str) -> None:
    colours = marks.select(pl.when("bad").then(pl.lit("#dc2626")).otherwise(pl.lit(colour)))
    fig.add_trace(go.Scatter(
        x=marks["x"], y=[y] * marks.height, yaxis="y2", mode="markers", name=name,
        marker=dict(symbol=symbol, size=9, color=colours.to_series().to_list()),
        hovertext=marks["text"].to_list(), hoverinfo="text"))


def plot(fig: go.Figure, key: str | None = None) -> None:
    st.plotly_chart(fig, key=key, config={"displaylogo": False})
