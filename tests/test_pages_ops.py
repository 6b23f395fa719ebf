"""The Operations pages under AppTest: Reliability, Incidents, Releases.

Each page, on the demo warehouse, draws its title, tiles (with the KPI layer's numbers),
tables and readable charts; on an empty warehouse it says why it is empty; the shared filter
bar changes its numbers; and each page's own controls (series grouping, incident period,
environments, the "live at" moment) change what it shows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from conftest import show_charts, with_every_column

from dashboard import formats
from modelops.warehouse import reading
from queries import kpi
from queries.catalog import model_catalog
from queries.filters import Filter

PAGES = {
    "pages/reliability.py": "Reliability",
    "pages/incidents.py": "Incidents",
    "pages/releases.py": "Releases",
}
# Tiles that always have a value on the demo data (others, like a recovery time, may be
# honestly empty for a period).
BASIC_TILES = {
    "pages/reliability.py": ["Availability", "Error budget consumed", "Latency p95",
                             "Availability SLO met"],
    "pages/incidents.py": ["Incidents", "MTTD", "MTTA", "MTTR"],
    "pages/releases.py": ["Production deployments", "Deployments per week",
                          "Change failure rate", "Lead time for changes"],
}
MAX_POINTS = 3000  # the SQL pre-aggregates; a chart never carries raw rows


@pytest.fixture(scope="module")
def demo_catalog(demo_warehouse) -> pl.DataFrame:
    with reading(demo_warehouse) as con:
        return model_catalog(con)


def biggest_business_unit(catalog: pl.DataFrame) -> str:
    """The business unit with the most models: it has some of everything, not all of it."""
    counts = catalog.group_by("business_unit_id").len()
    return counts.sort(["len", "business_unit_id"], descending=[True, False])[
        "business_unit_id"][0]


def default_filter(**scope) -> Filter:
    """The filter bar's default: the last 30 whole days, ending yesterday (UTC)."""
    today = datetime.now(UTC).date()
    return Filter.for_days(today - timedelta(days=30), today - timedelta(days=1), **scope)


def values(array) -> list:
    """A trace's numbers: Plotly sends numeric arrays as {dtype, bdata} (base64)."""
    if isinstance(array, dict) and "bdata" in array:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array or [])


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table_with(at, column: str):
    """The first table that has `column` (pandas frame)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table has a {column!r} column")


def assert_readable(figure: dict) -> None:
    layout = figure["layout"]
    assert layout["title"]["text"], "every chart has a title"
    axis_titles = [(layout.get(axis) or {}).get("title", {}).get("text")
                   for axis in ("xaxis", "yaxis")]
    assert any(axis_titles), "a chart names the unit of at least one axis"
    points = sum(len(values(trace.get("x"))) for trace in figure["data"])
    assert points <= MAX_POINTS
    for trace in figure["data"]:
        assert (trace.get("hovertemplate") or trace.get("hovertext")
                or trace.get("hoverinfo") == "skip"), "every trace hovers (or is a guide)"


def chart(at, title_starts: str) -> dict:
    found = [f for f in figures(at) if f["layout"]["title"]["text"].startswith(title_starts)]
    assert found, [f["layout"]["title"]["text"] for f in figures(at)]
    return found[0]


# --- every page -------------------------------------------------------------------------

@pytest.mark.parametrize("page", list(PAGES))
def test_page_draws_tiles_tables_and_charts(app, demo_warehouse, page):
    at = app(demo_warehouse, page=page)
    assert [t.value for t in at.title] == [PAGES[page]]
    assert at.caption[0].value.endswith("(/definitions#" + {
        "pages/reliability.py": "serving",
        "pages/incidents.py": "incidents-atlassian-and-pager-duty-incident-metric-definitions",
        "pages/releases.py": "releases-dora-four-keys-dora-dora-team-fourkeys",
    }[page] + ")"), "the one-line explanation links to the page's KPI definitions"
    tiles = metrics(at)
    assert len(tiles) >= 6
    for label in BASIC_TILES[page]:
        assert tiles[label] not in ("", "–", None), (label, tiles)
    assert any(m.delta for m in at.metric), "tiles show the change against the period before"
    # Reliability's burn-rate, history and series sections are lazy tabs: the open one draws.
    assert len(at.dataframe) >= (2 if page == "pages/reliability.py" else 3)
    # The first screen draws no chart (a first visit does not wait for Plotly's bundle);
    # each table-first section's chart is a tab away.
    assert not figures(at)
    charts = figures(show_charts(at))
    assert charts
    for figure in charts:
        assert_readable(figure)
    assert not at.warning
    assert not at.info, [i.value for i in at.info]


@pytest.mark.parametrize("page", list(PAGES))
def test_page_on_an_empty_warehouse_says_why(app, empty_warehouse, page):
    at = app(empty_warehouse, page=page)
    assert [t.value for t in at.title] == [PAGES[page]]
    assert at.info, "an empty page explains itself"
    assert all(i.value.strip() for i in at.info)
    assert all(m.value == "–" for m in at.metric), "no made-up zeros"
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("page, tile, column", [
    ("pages/reliability.py", "Availability", "availability_slo_met"),
    ("pages/incidents.py", "Incidents", "time_to_resolve_hours"),
    ("pages/releases.py", "Production deployments", "failed_change"),
])
def test_business_unit_filter_changes_the_numbers(app, demo_warehouse, demo_catalog, page,
                                                  tile, column):
    everything = app(demo_warehouse, page=page)
    one_unit = app(demo_warehouse, page=page, bu=biggest_business_unit(demo_catalog))
    assert metrics(one_unit)[tile] != metrics(everything)[tile]
    assert len(table_with(one_unit, column)) < len(table_with(everything, column))


def test_changing_the_sidebar_filter_changes_the_page(app, demo_warehouse, demo_catalog):
    at = app(demo_warehouse, page="pages/releases.py")
    before = metrics(at)["Production deployments"]
    at.multiselect(key="bu").set_value([biggest_business_unit(demo_catalog)]).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Releases"]
    assert metrics(at)["Production deployments"] != before


def test_pages_never_render_html_from_data():
    for page in PAGES:
        source = (Path(__file__).parents[1] / page).read_text()
        assert "unsafe_allow_html" not in source
        assert "st.html" not in source
        assert "st.markdown" not in source


def test_page_widget_keys_are_prefixed_with_the_page_name():
    """So they never clash with the sidebar's (period, dates, bu, team, model)."""
    import re

    for page in PAGES:
        name = Path(page).stem
        source = (Path(__file__).parents[1] / page).read_text()
        keys = re.findall(r'key="([^"]+)"', source)
        assert keys
        assert all(k.startswith(f"{name}_") for k in keys), keys


# --- reliability ------------------------------------------------------------------------

def test_reliability_tiles_are_the_kpi_layers_numbers(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/reliability.py")
    with reading(demo_warehouse) as con:
        group = kpi.serving(con, default_filter(), by="all").row(0, named=True)
        models = kpi.serving(con, default_filter(), by="model")
    tiles = metrics(at)
    assert tiles["Availability"] == formats.pct(group["availability"])
    assert tiles["Error budget consumed"] == formats.pct(group["error_budget_consumed"])
    assert tiles["Latency p95"] == formats.ms(group["latency_p95_ms"])
    assert tiles["Availability SLO met"] == (f"{group['models_availability_slo_met']}/"
                                       f"{group['models_with_requests']}")
    # one row per model, with its SLO verdicts beside the numbers
    table = table_with(at, "availability_slo_met")
    assert len(table) == models.height
    assert {"requests", "errors", "availability", "slo_availability", "error_budget_allowed",
            "error_budget_consumed", "latency_p95_ms", "slo_latency_p95_ms",
            "latency_slo_met"} <= set(table.columns)


def test_reliability_budget_chart_has_the_100_percent_line(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/reliability.py")
    show_charts(at)  # the sections' chart tabs (they open on tables)
    budget = chart(at, "Error budget consumed per model")
    assert budget["data"][0]["orientation"] == "h"
    assert len(budget["data"][0]["y"]) <= 25
    assert any(shape.get("x0") == 1 and shape.get("x1") == 1
               for shape in budget["layout"]["shapes"])


def test_reliability_bars_carry_status_by_pattern_and_word_not_colour_alone(
        app, demo_warehouse):
    """Issue 28, item 13: each status on the budget and latency bars has its own fill
    pattern and legend word (a colour-blind reader or a grey print still tells them
    apart), in the Okabe-Ito palette; each bar sits in the trace of its status."""
    at = app(demo_warehouse, page="pages/reliability.py")
    show_charts(at)  # the sections' chart tabs (they open on tables)
    okabe_ito = {"#D55E00", "#E69F00", "#009E73"}
    seen = {}
    for title, value_at, rule in (
            ("Error budget consumed per model", 4,
             lambda v: "x" if v > 1 else "/" if v > 0.75 else ""),
            ("Latency p95 ÷ target per model", 2, lambda v: "x" if v > 1 else "")):
        figure = chart(at, title)
        traces = figure["data"]
        shapes = [t["marker"]["pattern"]["shape"] for t in traces]
        names = [t["name"] for t in traces]
        assert len(set(shapes)) == len(traces), (title, shapes)
        assert len(set(names)) == len(traces), names
        assert {t["marker"]["color"] for t in traces} <= okabe_ito
        assert figure["layout"]["showlegend"] is True  # the word, even for one status
        for trace in traces:
            for row in trace["customdata"]:
                assert rule(row[value_at]) == trace["marker"]["pattern"]["shape"], (
                    title, trace["name"], row)
        seen[title] = len(traces)
    assert seen["Error budget consumed per model"] == 3, seen  # demo: all three statuses


def test_reliability_burn_rates_at_the_end_of_the_window(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/reliability.py")
    burn = table_with(at, "burn_rate_1h")
    f = default_filter()
    with reading(demo_warehouse) as con:
        # The newest complete hour of data: the demo's metrics end at today's midnight.
        expected = kpi.burn_rates(con, f, at=kpi.latest_serving_hour(con, f))
    assert len(burn) == expected.height
    assert list(burn["burn_rate_1h"].head(5).fillna(-1)) == pytest.approx(
        list(expected["burn_rate_1h"].head(5).fill_null(-1)))
    tiles = metrics(at)
    assert tiles["Fast-burn alerts"] == str(expected["fast_burn"].sum())
    assert tiles["Slow-burn alerts"] == str(expected["slow_burn"].sum())
    assert f"{f.end:%d %b %Y %H:%M} UTC" in " ".join(c.value for c in at.caption)


def test_reliability_compliance_history_is_per_model_and_month(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/reliability.py", period="90d")
    at.session_state["reliability_section"] = "SLO compliance by month"
    at.run()
    history = [f for f in at.dataframe if any(c[:4].isdigit() for c in f.value.columns)]
    assert history, "a model × month table"
    months = [c for c in history[0].value.columns if c[:4].isdigit()]
    assert len(months) >= 3
    values = set(history[0].value[months].stack())
    assert values <= {"✓ met", "✗ availability", "✗ latency", "✗ both missed",
                      "no traffic", "no metrics"}
    heatmaps = [f for f in figures(at) if f["data"] and f["data"][0]["type"] == "heatmap"]
    if heatmaps:  # drawn when some model missed an SLO in some month
        assert heatmaps[0]["data"][0]["x"] == months


def test_reliability_series_marks_deployments_and_incidents(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/reliability.py")
    assert not [f for f in figures(at) if f["layout"]["title"]["text"].startswith(
        "Availability per day")], "the series tab is drawn only when opened"
    at.session_state["reliability_section"] = "Serving over time"
    at.run()
    availability = chart(at, "Availability per day")
    names = [trace.get("name") for trace in availability["data"]]
    assert names.count("all models") == 1
    # By default only the events that explain a change: failed changes, sev 1-2 incidents.
    assert set(names) - {"all models"} <= {"failed change", "sev 1-2 incident"}
    for trace in availability["data"]:
        if trace.get("name") == "failed change":
            assert all(c == "#dc2626" for c in trace["marker"]["color"])

    at.toggle(key="reliability_every_event").set_value(True).run()
    availability = chart(at, "Availability per day")
    names = [trace.get("name") for trace in availability["data"]]
    assert "deployment" in names and "incident" in names
    markers = next(t for t in availability["data"] if t.get("name") == "deployment")
    # the hover names the model and version, not ids (issue 28 item 14)
    assert all(" v" in text and "dep-" not in text and "mdl-" not in text
               for text in markers["hovertext"])

    at.segmented_control(key="reliability_series_by").set_value("team").run()
    assert not at.exception
    per_team = chart(at, "Availability per day")
    lines = [t for t in per_team["data"] if t.get("name") not in ("deployment", "incident")]
    assert len(lines) > 1, "one line per team"


# --- incidents --------------------------------------------------------------------------

def test_incident_tiles_are_the_kpi_layers_numbers(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/incidents.py")
    with reading(demo_warehouse) as con:
        summary = kpi.incident_summary(con, default_filter(), by="all").row(0, named=True)
        log = kpi.incident_log(con, default_filter())
    tiles = metrics(at)
    assert tiles["Incidents"] == formats.count(summary["incidents"])
    assert tiles["MTTD"] == formats.minutes(summary["mttd_minutes"])
    assert tiles["MTTA"] == formats.minutes(summary["mtta_minutes"])
    assert tiles["MTTR"] == formats.hours(summary["mttr_minutes"])
    assert tiles["Open at end"] == formats.count(summary["open_at_end"])
    assert len(table_with(at, "time_to_resolve_hours")) == log.height


def test_incident_charts_stack_severity_and_root_cause(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/incidents.py")
    show_charts(at)  # the sections' chart tabs (they open on tables)
    for title in ("Incidents per week by severity", "Incidents per week by root cause"):
        figure = chart(at, title)
        assert figure["layout"]["barmode"] == "stack"
        assert all(trace["type"] == "bar" for trace in figure["data"])
    severity = chart(at, "Incidents per week by severity")
    cause = chart(at, "Incidents per week by root cause")
    total = sum(sum(values(trace["y"])) for trace in severity["data"])
    assert total == sum(sum(values(trace["y"])) for trace in cause["data"])
    assert total == int(metrics(at)["Incidents"])

    at.segmented_control(key="incidents_period").set_value("day").run()
    assert not at.exception
    daily = chart(at, "Incidents per day by severity")
    assert sum(sum(values(trace["y"])) for trace in daily["data"]) == total


def test_incidents_over_time_opens_on_a_table_of_the_charts_numbers(app, demo_warehouse):
    # The section's first tab: a row per week, its incidents split by severity and again
    # by root cause, newest first; each split adds up to the row, the rows to the tile.
    at = app(demo_warehouse, page="pages/incidents.py")
    assert not figures(at)
    table = table_with(at, "covers")
    severities = [c for c in table.columns if c.startswith("Sev ")]
    causes = [c for c in table.columns
              if c not in {"period_start", "covers", "incidents", *severities}]
    assert severities and causes
    for _, row in table.iterrows():
        assert sum(row[c] for c in severities) == row["incidents"]
        assert sum(row[c] for c in causes) == row["incidents"]
    assert table["incidents"].sum() == int(metrics(at)["Incidents"])
    starts = list(table["period_start"])
    assert starts == sorted(starts, reverse=True)
    # 30 days never start and end on a week's edges both: a week is partial, and says so.
    assert table["covers"].str.startswith("partial:").any()


def test_open_incidents_list_their_age(app, demo_warehouse):
    # Open now, whatever the period: the demo's incidents end by today's midnight, so the
    # same incidents are open now as then, each older by the time since.
    at = app(demo_warehouse, page="pages/incidents.py")
    f = default_filter()
    with reading(demo_warehouse) as con:
        now = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
        expected = kpi.open_incidents(con, f, at=now)
    if expected.height == 0:
        assert any("is open now" in i.value for i in at.info)
        return
    shown = table_with(with_every_column(at), "age")
    assert list(shown["incident_id"]) == expected["incident_id"].to_list()
    for shown_age, minutes in zip(shown["age"], expected["age_minutes"]):
        assert abs(float(shown_age.removesuffix(" h").replace(",", "")) - minutes / 60) <= 0.1


@pytest.fixture
def postmortem_warehouse(make_warehouse):
    """Two incidents last week: one with a web postmortem, one with a script 'link'."""
    day = datetime.combine(datetime.now(UTC).date() - timedelta(days=7), time(9))
    return make_warehouse({
        "business_units": [{"business_unit_id": "b1", "name": "North"}],
        "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "b1"}],
        "models": [{"model_id": "m1", "name": "ranker", "team_id": "t1",
                    "risk_tier": "limited", "lifecycle_stage": "production",
                    "created_at": "2025-01-01T00:00:00"}],
        "incidents": [
            {"incident_id": "i1", "model_id": "m1", "severity": 2, "title": "=cmd|' /C calc'!A0",
             "started_at": day.isoformat(), "detected_at": (day + timedelta(minutes=10))
             .isoformat(), "resolved_at": (day + timedelta(hours=2)).isoformat(),
             "postmortem_url": "https://wiki.example.com/pm/i1"},
            {"incident_id": "i2", "model_id": "m1", "severity": 3, "title": "<b>bold</b>",
             "started_at": (day + timedelta(days=1)).isoformat(),
             "postmortem_url": "javascript:alert(1)"},
        ],
    })


def test_incident_log_links_web_postmortems_only(app, postmortem_warehouse):
    at = app(postmortem_warehouse, page="pages/incidents.py")
    log = table_with(with_every_column(at), "time_to_resolve_hours")
    links = dict(zip(log["incident_id"], log["postmortem_url"]))
    assert links["i1"] == "https://wiki.example.com/pm/i1"
    assert pd.isna(links["i2"]), "a non-web 'link' from the data is never made clickable"
    assert set(log["title"]) == {"=cmd|' /C calc'!A0", "<b>bold</b>"}, "titles shown as text"
    open_now = table_with(at, "age")
    assert list(open_now["incident_id"]) == ["i2"]
    log_element = next(f for f in at.dataframe if "time_to_resolve_hours" in f.value.columns)
    config = json.loads(log_element.proto.columns)
    assert config["postmortem_url"]["type_config"]["type"] == "link"


# --- releases ---------------------------------------------------------------------------

def test_dora_tiles_and_team_table_show_the_counts_behind_each_ratio(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/releases.py")
    with reading(demo_warehouse) as con:
        everything = kpi.dora(con, default_filter(), by="all").row(0, named=True)
        teams = kpi.dora(con, default_filter(), by="team")
    tiles = metrics(at)
    assert tiles["Production deployments"] == formats.count(everything["deployments"])
    assert tiles["Failed changes"] == formats.count(everything["failed_changes"])
    assert tiles["Change failure rate"] == formats.pct(everything["change_failure_rate"])
    assert tiles["Lead time for changes"] == formats.hours(everything["lead_time_median_minutes"])
    table = table_with(at, "change_failure_rate")
    assert len(table) == teams.height
    assert {"deployments", "failed_changes", "change_failure_rate", "lead_time_deployments",
            "recovered_incidents"} <= set(table.columns)
    assert table["deployments"].sum() == everything["deployments"]


def test_deployment_log_follows_the_environment_pills(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/releases.py")
    with reading(demo_warehouse) as con:
        log = kpi.deployment_log(con, default_filter())
    shown = table_with(with_every_column(at), "failed_change")
    assert set(shown["environment"]) == {"production"}
    assert len(shown) == log.filter(pl.col("environment") == "production").height
    assert {"version", "approved_by", "change_ticket", "outcome", "failed_change"} <= set(shown.columns)

    at.pills(key="releases_environments").set_value(sorted(set(log["environment"]))).run()
    assert not at.exception
    assert len(table_with(at, "failed_change")) == log.height


def test_live_versions_at_a_chosen_moment(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/releases.py")
    f = default_filter()
    assert at.date_input(key="releases_at_date").value == f.end.date()
    assert at.time_input(key="releases_at_time").value == f.end.time()
    with reading(demo_warehouse) as con:
        at_end = kpi.live_versions(con, f, at=f.end)
    shown = table_with(at, "lifecycle_stage")
    assert list(shown["model"]) == at_end["model"].to_list()
    assert list(shown["version"]) == at_end["version"].to_list()

    earlier = datetime.combine(f.start.date() - timedelta(days=30), time(12, 0))
    at.date_input(key="releases_at_date").set_value(earlier.date())
    at.time_input(key="releases_at_time").set_value(earlier.time()).run()
    assert not at.exception
    with reading(demo_warehouse) as con:
        then = kpi.live_versions(con, f, at=earlier)
    shown = table_with(at, "lifecycle_stage")
    assert list(shown["version"]) == then["version"].to_list()
    assert list(shown["version"]) != at_end["version"].to_list()
    assert all(d <= earlier for d in shown["deployed_at"].dt.to_pydatetime())


def test_live_versions_before_any_deployment_says_so(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/releases.py")
    before_the_demo = default_filter().start.date() - timedelta(days=365)
    at.date_input(key="releases_at_date").set_value(before_the_demo).run()
    assert not at.exception
    assert any("No filtered model had a successful production deployment" in i.value
               for i in at.info)
