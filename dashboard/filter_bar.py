"""The shared filter bar (period, business units, teams, models) and its state in the URL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta

import polars as pl
import streamlit as st

from dashboard import model_search
from dashboard.text import plain
from queries.filters import Filter, clamp_days

PRESETS = {
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "last-week": "Last full ISO week",
    "qtd": "Quarter to date",
    "custom": "Custom",
}
DEFAULT_PRESET = "30d"


def today() -> date:
    """Today in UTC (all windows are UTC)."""
    return datetime.now(UTC).date()


def last_24_hours(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last 24 whole hours, UTC: [the current hour - 24 h, the current hour). Whole
    hours, because serving metrics are hourly (a part hour would read as a dip)."""
    now = now or datetime.now(UTC)
    end = now.replace(tzinfo=None, minute=0, second=0, microsecond=0)
    return end - timedelta(hours=24), end


def preset_days(preset: str, now: date) -> tuple[date, date]:
    """First and last whole day (inclusive) of a preset, ending yesterday (a full day)."""
    yesterday = now - timedelta(days=1)
    if preset == "7d":
        return yesterday - timedelta(days=6), yesterday
    if preset == "90d":
        return yesterday - timedelta(days=89), yesterday
    if preset == "last-week":
        monday = now - timedelta(days=now.weekday()) - timedelta(days=7)
        return monday, monday + timedelta(days=6)
    if preset == "qtd":
        first = date(now.year, 3 * ((now.month - 1) // 3) + 1, 1)
        return first, max(first, yesterday)
    return yesterday - timedelta(days=29), yesterday



# --- the filter bar ---------------------------------------------------------------------
# Filter state lives in the URL (`?period=7d&bu=retail&bu=payments&team=...`) so a link
# reproduces the view. The URL is read once per session (a shared link), then the widgets
# own the state and write it back on every run. Ids, not display names, go in the URL.


def _from_url(key: str, options: Collection[str], what: str) -> None:
    """Seed a multiselect from the URL on a session's first run, dropping unknown ids
    with a visible note; later, drop choices that a narrower parent filter excluded."""
    if key not in st.session_state:
        asked = list(dict.fromkeys(st.query_params.get_all(key)))
        st.session_state[key] = [v for v in asked if v in options]
        unknown = [v for v in asked if v not in options]
        if unknown:
            shown = ", ".join(repr(v[:40]) for v in unknown[:5])
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            st.sidebar.warning(f"The link named unknown {what}, ignored: {plain(shown)}{more}",
                               icon=":material/link_off:")
    else:
        st.session_state[key] = [v for v in st.session_state[key] if v in options]


def _to_url(key: str, values) -> None:
    if values:
        st.query_params[key] = values
    elif key in st.query_params:
        del st.query_params[key]


def _date_from_url(key: str, fallback: date) -> date:
    try:
        return date.fromisoformat(st.query_params.get(key, ""))
    except ValueError:
        return fallback


def _period(sidebar) -> tuple[date, date, str]:
    # The link's period is the widget's initial index (seeding session_state instead makes
    # the browser send index 0 back on the next rerun).
    if "period_from_link" not in st.session_state:
        asked = st.query_params.get("period", DEFAULT_PRESET)
        st.session_state["period_from_link"] = asked if asked in PRESETS else DEFAULT_PRESET
    options = list(PRESETS)
    preset = sidebar.selectbox("Period", options, format_func=PRESETS.get, key="period",
                               index=options.index(st.session_state["period_from_link"]))
    first, last = preset_days(preset, today())
    if preset == "custom":
        if "dates_from_link" not in st.session_state:
            start = min(_date_from_url("start", first), today())
            end = min(_date_from_url("end", last), today())
            (start, end), note = clamp_days(start, end)  # 18.11: year 1 overflowed
            st.session_state["dates_note"] = note
            st.session_state["dates_from_link"] = (min(start, end), max(start, end))
        picked = sidebar.date_input("Dates (UTC)", st.session_state["dates_from_link"],
                                    key="dates", max_value=today())
        if st.session_state["dates_note"] and tuple(picked) == st.session_state["dates_from_link"]:
            sidebar.warning(st.session_state["dates_note"], icon=":material/link_off:")
        if isinstance(picked, (tuple, list)) and picked:
            first, last = picked[0], picked[-1]
    elif preset == "24h":
        start, end = last_24_hours()
        sidebar.caption(f"{start:%a %d %b %H:%M} – {end:%a %d %b %H:%M} UTC (the last 24 "
                        "whole hours)")
    else:
        sidebar.caption(f"{first:%a %d %b %Y} – {last:%a %d %b %Y} (UTC)")
    _to_url("period", preset if preset != DEFAULT_PRESET else None)
    _to_url("start", first.isoformat() if preset == "custom" else None)
    _to_url("end", last.isoformat() if preset == "custom" else None)
    return first, last, preset


def _narrowing_select(sidebar, scope: pl.DataFrame, column: str, key: str, label: str):
    """A multiselect of the `<column>_id` values in `scope`, shown by their `<column>` name.

    Returns the ids chosen and `scope` narrowed to them (all of it when none is chosen),
    from which the next, finer filter takes its options. Models past `model_search.LISTED`
    get a search box and list only the matches (dashboard/model_search.py).
    """
    names = dict(scope.select(f"{column}_id", column).unique().iter_rows())
    _from_url(key, names, label.lower())
    if column == "model":
        options = model_search.search_box(sidebar, names, "model_find",
                                          keep=st.session_state[key])
    else:
        options = sorted(names, key=lambda i: names[i])
    chosen = sidebar.multiselect(label, options, key=key, format_func=lambda i: names.get(i, i),
                                 placeholder=f"All {label.lower()}")
    narrowed = scope.filter(pl.col(f"{column}_id").is_in(chosen)) if chosen else scope
    return chosen, narrowed


def filter_bar(scope: pl.DataFrame, allowed: tuple[str, ...] | None = None,
               ignored: tuple[str, ...] = ()) -> Filter:
    """Draw the sidebar filters; return the Filter they describe.

    `scope` lists the models the user may see (model_id, model, team_id, team,
    business_unit_id, business_unit); BU -> team -> model choices narrow each other.
    `ignored` names the filters the current page does not apply ("period", "model"): they
    are drawn last, in a folded expander that says so, and keep their values for the other
    pages.
    """
    sidebar = st.sidebar
    sidebar.header("Filters")
    # The filters the page ignores go last, folded away in an expander: out of sight, yet
    # drawn, so they keep their values for the other pages (a widget not drawn loses its
    # state at the end of the run).
    if "period" not in ignored:
        first, last, preset = _period(sidebar)

    bus, in_bus = _narrowing_select(sidebar, scope, "business_unit", "bu", "Business units")
    teams, in_teams = _narrowing_select(sidebar, in_bus, "team", "team", "Teams")
    aside = sidebar
    if ignored:
        words = {"period": "Period", "model": "models"}
        aside = sidebar.expander(" and ".join(words[i] for i in ignored)
                                 + ": not used on this page", expanded=False)
        aside.caption("Kept for the other pages.")
    if "period" in ignored:
        first, last, preset = _period(aside)
    models, _ = _narrowing_select(aside if "model" in ignored else sidebar, in_teams,
                                  "model", "model", "Models")

    for key, values in (("bu", bus), ("team", teams), ("model", models)):
        _to_url(key, values)
    scope = dict(business_units=tuple(bus), teams=tuple(teams), models=tuple(models),
                 allowed_business_units=None if allowed is None else tuple(allowed))
    if preset == "24h":
        return Filter(*last_24_hours(), **scope)
    return Filter.for_days(first, last, **scope)
