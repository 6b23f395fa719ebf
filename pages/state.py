"""The shared filter bar, its state in the URL, and cached reads of the KPI layer.

Every page gets its data through `load(...)`: the cache key is the KPI function, the
filter, the warehouse's last-change token (so an ingest shows up without a restart) and the
caller's access scope, so a result computed for one user is never served to another.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from datetime import date, datetime, timedelta, timezone
from typing import Callable

import polars as pl
import streamlit as st

from queries import warehouse
from queries.filters import Filter

PRESETS = (
    "Last 7 days",
    "Last 30 days",
    "Last 90 days",
    "Last full ISO week",
    "Quarter to date",
    "Custom",
)
DEFAULT_PRESET = "Last 30 days"


def today() -> date:
    """Today in UTC (all windows are UTC)."""
    return datetime.now(timezone.utc).date()


def preset_days(preset: str, now: date) -> tuple[date, date]:
    """First and last whole day (inclusive) of a preset, ending yesterday (a full day)."""
    yesterday = now - timedelta(days=1)
    if preset == "Last 7 days":
        return yesterday - timedelta(days=6), yesterday
    if preset == "Last 90 days":
        return yesterday - timedelta(days=89), yesterday
    if preset == "Last full ISO week":
        monday = now - timedelta(days=now.weekday()) - timedelta(days=7)
        return monday, monday + timedelta(days=6)
    if preset == "Quarter to date":
        first = date(now.year, 3 * ((now.month - 1) // 3) + 1, 1)
        return first, max(first, yesterday)
    return yesterday - timedelta(days=29), yesterday


def warehouse_path():
    return warehouse.warehouse_path(os.environ.get("MODELOPS_WAREHOUSE"))


# --- cached reads -----------------------------------------------------------------------

@st.cache_data(max_entries=512, show_spinner=False)
def _cached(module: str, name: str, f: Filter | None, path: str, token: int, kwargs: tuple):
    fn = getattr(importlib.import_module(module), name)
    with warehouse.reading(Path(path)) as con:
        return fn(con, **dict(kwargs)) if f is None else fn(con, f, **dict(kwargs))


def load(fn: Callable, f: Filter | None = None, **kwargs):
    """`fn(con, f, **kwargs)` from the warehouse layer, cached per filter and data change.

    The function is named (module and name), not hashed, so the key stays cheap.
    """
    path = warehouse_path()
    token = warehouse.last_change(path)
    return _cached(fn.__module__, fn.__name__, f, str(path), token,
                   tuple(sorted(kwargs.items())))


# --- the filter bar ---------------------------------------------------------------------

def _checked_url_values(key: str, options: list[str]) -> None:
    """Warn about ids in the URL that do not exist (the widget then drops them)."""
    unknown = [v for v in st.query_params.get_all(key) if v not in options]
    if unknown:
        shown = ", ".join(repr(v[:40]) for v in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        st.sidebar.warning(f"Ignored unknown {key} in the link: {shown}{more}")


def filter_bar(scope: pl.DataFrame) -> Filter:
    """Draw the sidebar filters; return the Filter they describe.

    `scope` lists the models the user may see (model_id, model, team_id, team,
    business_unit_id, business_unit); BU -> team -> model choices narrow each other.
    """
    sidebar = st.sidebar
    sidebar.header("Filters")
    preset = sidebar.selectbox("Period", PRESETS, index=PRESETS.index(DEFAULT_PRESET),
                               key="period", bind="query-params")
    first, last = preset_days(preset, today())
    if preset == "Custom":
        picked = sidebar.date_input("Dates (UTC)", value=(first, last), key="dates",
                                    max_value=today(), bind="query-params")
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            first, last = picked
        elif isinstance(picked, (tuple, list)) and len(picked) == 1:
            first = last = picked[0]
    else:
        sidebar.caption(f"{first:%a %d %b %Y} – {last:%a %d %b %Y} (UTC)")

    bu_names = dict(scope.select("business_unit_id", "business_unit").unique().iter_rows())
    bu_options = sorted(bu_names)
    _checked_url_values("bu", bu_options)
    bus = sidebar.multiselect("Business units", bu_options, key="bu", bind="query-params",
                              format_func=lambda b: bu_names.get(b, b),
                              placeholder="All business units")

    in_bus = scope.filter(pl.col("business_unit_id").is_in(bus)) if bus else scope
    team_names = dict(in_bus.select("team_id", "team").unique().iter_rows())
    team_options = sorted(team_names)
    _checked_url_values("team", team_options)
    teams = sidebar.multiselect("Teams", team_options, key="team", bind="query-params",
                                format_func=lambda t: team_names.get(t, t),
                                placeholder="All teams")

    in_teams = in_bus.filter(pl.col("team_id").is_in(teams)) if teams else in_bus
    model_names = dict(in_teams.select("model_id", "model").iter_rows())
    model_options = sorted(model_names)
    _checked_url_values("model", model_options)
    models = sidebar.multiselect("Models", model_options, key="model", bind="query-params",
                                 format_func=lambda m: model_names.get(m, m),
                                 placeholder="All models")

    return Filter.for_days(first, last, business_units=bus, teams=teams, models=models)
