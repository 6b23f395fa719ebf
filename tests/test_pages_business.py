"""The Business pages under AppTest: Cost & value, Model quality, Governance, Model detail.

Each page, on the demo warehouse, draws its title, tiles, tables and readable charts; on an
empty warehouse it says why it is empty; and the shared filter bar changes its numbers.
The model-detail page takes its model from the link and refuses unknown or out-of-scope ids
without echoing them.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from conftest import section_tabs, show_charts, with_every_column

from modelops.warehouse import reading
from queries.catalog import model_catalog

PAGES = {
    "pages/cost_value.py": "Cost & value",
    "pages/model_quality.py": "Model quality",
    "pages/governance.py": "Governance",
    "pages/model_detail.py": "Model detail",
}
MAX_POINTS = 3000  # the SQL pre-aggregates; a chart never carries raw rows


@pytest.fixture(scope="module")
def demo_catalog(demo_warehouse) -> pl.DataFrame:
    with reading(demo_warehouse) as con:
        return model_catalog(con)


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(at) -> list[str]:
    return [t.value for t in at.text]


def assert_readable(figure: dict) -> None:
    layout = figure["layout"]
    assert layout["title"]["text"], "every chart has a title"
    axis_titles = [(layout.get(axis) or {}).get("title", {}).get("text")
                   for axis in ("xaxis", "yaxis")]
    assert any(axis_titles), "a chart names the unit of at least one axis"
    points = sum(len(trace.get("x") or []) for trace in figure["data"])
    assert points <= MAX_POINTS
    for trace in figure["data"]:
        assert trace.get("hovertemplate") or trace.get("hovertext"), "every trace hovers"


def model_id_of_first(catalog: pl.DataFrame, **where) -> str:
    frame = catalog
    for column, value in where.items():
        frame = frame.filter(pl.col(column) == value)
    return frame.sort("model_id")["model_id"][0]


# --- every page -------------------------------------------------------------------------

# The lazy tabs of a page (dashboard/shell.lazy_tabs): only the open one is drawn.
LAZY_TABS = {"pages/reliability.py": "reliability_section",
             "pages/cost_value.py": "cost_value_section",
             "pages/model_quality.py": "model_quality_section",
             "pages/governance.py": "governance_section"}


@pytest.mark.parametrize("page", [p for p in PAGES if p != "pages/model_detail.py"])
def test_page_draws_tiles_tables_and_charts(app, demo_warehouse, page):
    at = app(demo_warehouse, page=page)
    assert [t.value for t in at.title] == [PAGES[page]]
    assert len(at.metric) >= 6
    assert all(m.value not in ("", None) for m in at.metric)
    # The first screen draws no chart (a first visit does not wait for Plotly's bundle).
    assert not figures(at)
    # Every table and chart of the page: each lazy tab opened in turn, with the sections'
    # tables open, then with their charts.
    tables, charts = set(), {}
    labels = section_tabs(at) if page in LAZY_TABS else [None]
    for charts_open in (False, True):
        for label in labels:
            if label:
                at.session_state[LAZY_TABS[page]] = label
            # (a section's view state goes when the section is closed: set it each time)
            show_charts(at) if charts_open else at.run()
            assert not at.exception, [e.value for e in at.exception]
            tables |= {tuple(d.value.columns) for d in at.dataframe}
            charts |= {f["layout"]["title"]["text"]: f for f in figures(at)}
    assert len(tables) >= 3
    assert len(charts) >= 2
    for figure in charts.values():
        assert_readable(figure)
    # The one warning a page raises from the demo data itself: live versions without an
    # artifact digest (Governance flags them; the demo has some).
    assert all("without an artifact digest" in w.value for w in at.warning), \
        [w.value for w in at.warning]


@pytest.mark.parametrize("page", list(PAGES))
def test_page_on_an_empty_warehouse_says_why(app, empty_warehouse, page):
    at = app(empty_warehouse, page=page)
    assert [t.value for t in at.title] == [PAGES[page]]
    assert at.info, "an empty page explains itself"
    assert all(i.value.strip() for i in at.info)
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("page, tile", [
    ("pages/cost_value.py", "Cost"),
    ("pages/model_quality.py", "Drift results"),
    ("pages/governance.py", "Production models"),
])
def test_business_unit_filter_changes_the_numbers(app, demo_warehouse, demo_catalog, page,
                                                  tile):
    every = metrics(app(demo_warehouse, page=page))
    counts = demo_catalog.group_by("business_unit_id").len().sort("len")
    smallest = counts["business_unit_id"][0]
    one_unit = metrics(app(demo_warehouse, page=page, bu=smallest))
    assert one_unit[tile] != every[tile]
    assert one_unit != every


def test_pages_never_render_html_from_data():
    for page in PAGES:
        source = (Path(__file__).parents[1] / page).read_text()
        assert "unsafe_allow_html" not in source
        assert "st.html" not in source


# --- cost & value -----------------------------------------------------------------------

def test_cost_breakdown_follows_the_dimension_selector(app, demo_warehouse, demo_catalog):
    at = app(demo_warehouse, page="pages/cost_value.py")
    teams = set(demo_catalog["team"])
    shown = at.dataframe[0].value
    assert set(shown.iloc[:, 0]) <= teams

    at.segmented_control(key="cost_dimension").set_value("category").run()
    assert not at.exception
    categories = set(at.dataframe[0].value.iloc[:, 0])
    assert categories and not categories & teams
    assert "Cost by cost category" in [f["layout"]["title"]["text"]
                                       for f in figures(show_charts(at))]


def test_cost_dimension_comes_from_the_link(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/cost_value.py", cost_dimension="business_unit")
    assert at.segmented_control(key="cost_dimension").value == "business_unit"
    assert "Cost by business unit" in [f["layout"]["title"]["text"]
                                       for f in figures(show_charts(at))]


def test_vendor_scorecard_shows_sla_and_measured_availability(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/cost_value.py")
    at.session_state["cost_value_section"] = "Vendor scorecard"  # a lazy tab: open it
    at.run()
    scorecards = [d.value for d in at.dataframe if "vendor_incidents" in d.value.columns]
    assert len(scorecards) == 1
    card = scorecards[0]
    assert {"sla_availability", "measured_availability", "cost_usd"} <= set(card.columns)
    assert card["cost_usd"].sum() > 0


# --- governance -------------------------------------------------------------------------

def test_versions_can_be_narrowed_to_the_live_ones(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/governance.py")
    at.session_state["governance_section"] = "Model versions (audit trail)"  # a lazy tab
    at = with_every_column(at.run())
    every = next(d.value for d in at.dataframe if "artifact_sha256" in d.value.columns)
    assert (every["live_in_production"] != "✓ live").any()
    at.toggle(key="governance_live_only").set_value(True).run()
    assert not at.exception
    live = next(d.value for d in at.dataframe if "artifact_sha256" in d.value.columns)
    assert 0 < len(live) <= len(every)
    assert (live["live_in_production"] == "✓ live").all()  # a yes/no in words
    assert {"code_commit", "training_data_ref"} <= set(live.columns)


# --- model detail -----------------------------------------------------------------------

def latest_deployed_production_model(warehouse) -> str:
    """The production model deployed last: its detail page has a deployment to mark."""
    with reading(warehouse) as con:
        return con.execute("""
            SELECT d.model_id FROM deployments d JOIN models m USING (model_id)
            WHERE m.lifecycle_stage = 'production' AND d.environment = 'production'
            ORDER BY d.deployed_at DESC, d.model_id LIMIT 1""").fetchall()[0][0]


def test_model_detail_from_the_link(app, demo_warehouse, demo_catalog):
    model_id = latest_deployed_production_model(demo_warehouse)
    name = demo_catalog.filter(pl.col("model_id") == model_id)["model"][0]
    at = app(demo_warehouse, page="pages/model_detail.py", id=model_id)
    assert any(name in t for t in texts(at))
    assert at.selectbox(key="detail_model").value == model_id
    tiles = metrics(at)
    for label in ("Availability", "Error budget consumed", "Latency p95", "Incidents", "MTTR",
                  "Production deployments", "Change failure rate", "Cost", "Business value", "ROI",
                  "Drift alerts", "Data-quality pass rate"):
        assert label in tiles
    assert tiles["Availability"] != "–"
    charts = figures(show_charts(at))
    assert len(charts) >= 2
    for figure in charts:
        assert_readable(figure)
    assert "deployment" in {t.get("name") for f in charts for t in f["data"]}
    # Only this model's rows: every table that names models names this one.
    for frame in (d.value for d in at.dataframe):
        for column in ("model_id", "model"):
            if column in frame.columns:
                assert set(frame[column]) <= {model_id, name}
    assert at.query_params["id"] == [model_id] or at.query_params["id"] == model_id


def test_model_detail_numbers_are_the_models_own(app, demo_warehouse, demo_catalog):
    """Two models, two sets of tiles: the narrowed filter really narrows."""
    first, second = demo_catalog.filter(
        pl.col("lifecycle_stage") == "production").sort("model_id")["model_id"][:2]
    one = metrics(app(demo_warehouse, page="pages/model_detail.py", id=first))
    other = metrics(app(demo_warehouse, page="pages/model_detail.py", id=second))
    assert one != other


def test_model_detail_picker_writes_the_id_into_the_link(app, demo_warehouse, demo_catalog):
    at = app(demo_warehouse, page="pages/model_detail.py")
    assert at.info and not at.metric
    picker = at.selectbox(key="detail_model")
    assert picker.value is None
    model_id = demo_catalog.sort("model_id")["model_id"][-1]
    name = demo_catalog.filter(pl.col("model_id") == model_id)["model"][0]
    picker.set_value(model_id).run()
    assert not at.exception
    assert at.query_params["id"] in (model_id, [model_id])
    assert any(name in t for t in texts(at))
    assert len(at.metric) == 12


@pytest.mark.parametrize("bad", ["nope", "' OR 1=1 --", "<script>alert(1)</script>", ""])
def test_model_detail_refuses_unknown_ids(app, demo_warehouse, bad):
    at = app(demo_warehouse, page="pages/model_detail.py", id=bad)
    assert len(at.warning) == 1
    assert bad not in at.warning[0].value or not bad
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")


def test_model_detail_refuses_a_model_outside_the_filter(app, demo_warehouse, demo_catalog):
    model_id = demo_catalog.sort("model_id")["model_id"][0]
    own_unit = demo_catalog.filter(pl.col("model_id") == model_id)["business_unit_id"][0]
    other_unit = demo_catalog.filter(
        pl.col("business_unit_id") != own_unit)["business_unit_id"][0]
    at = app(demo_warehouse, page="pages/model_detail.py", id=model_id, bu=other_unit)
    assert len(at.warning) == 1 and not at.metric

    inside = app(demo_warehouse, page="pages/model_detail.py", id=model_id, bu=own_unit)
    assert not inside.warning and len(inside.metric) == 12


def test_model_detail_on_an_empty_warehouse_refuses_any_id(app, empty_warehouse):
    at = app(empty_warehouse, page="pages/model_detail.py", id="mdl-0001")
    assert len(at.warning) == 1 and not at.metric


def test_model_detail_picker_replaces_the_model_in_the_link(app, demo_warehouse,
                                                           demo_catalog):
    first, second = demo_catalog.sort("model_id")["model_id"][:2]
    second_name = demo_catalog.filter(pl.col("model_id") == second)["model"][0]
    at = app(demo_warehouse, page="pages/model_detail.py", id=first)
    at.selectbox(key="detail_model").set_value(second).run()
    assert not at.exception
    assert at.query_params["id"] in (second, [second])
    assert at.selectbox(key="detail_model").value == second
    assert any(second_name in t for t in texts(at))


def test_words_not_codes_and_no_double_negatives(app, demo_warehouse):
    """Issue 28 item 15: a compliance check reads yes or no under what a model should have
    ("runbook: ✗ no", never "no runbook: ✓ ok"); a cost category reads as words."""
    at = app(demo_warehouse, page="pages/governance.py")
    gaps = next(f for f in at.dataframe if "no_runbook" in f.value.columns)
    labels = {name: c.get("label") for name, c in json.loads(gaps.proto.columns).items()}
    assert labels["no_runbook"] == "runbook" and labels["no_owner"] == "owner named"
    for column in ("no_owner", "no_runbook", "no_passed_validation", "no_risk_assessment",
                   "high_risk_not_approved"):
        assert set(gaps.value[column]) <= {"✓ yes", "✗ no"}, column
    at = app(demo_warehouse, page="pages/cost_value.py", cost_dimension="category")
    breakdown = next(f.value for f in at.dataframe if "share_of_cost" in f.value.columns)
    assert "inference api" in set(breakdown["group_name"])
    assert not any("_" in name for name in breakdown["group_name"])


def test_risk_tiers_and_vendor_sla_do_not_rest_on_colour(app, demo_warehouse):
    """Issue 28 item 13: each risk tier has a fill pattern besides its colour, and a
    vendor's SLA verdict is its marker's shape too."""
    at = show_charts(app(demo_warehouse, page="pages/governance.py"))
    tiers = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith(
        "Models per risk tier"))
    patterns = {t["name"]: t["marker"]["pattern"]["shape"] for t in tiers["data"]}
    assert len(set(patterns.values())) == len(patterns) >= 2, patterns
    at = app(demo_warehouse, page="pages/cost_value.py")
    at.session_state["cost_value_section"] = "Vendor scorecard"  # a lazy tab
    at.run()
    (chart,) = [f for f in figures(at) if f["layout"]["title"]["text"].startswith(
        "Measured availability vs SLA")]
    measured = next(t for t in chart["data"] if t.get("name") == "measured")
    assert set(measured["marker"]["symbol"]) <= {"circle", "x", "circle-open"}
    assert len(measured["marker"]["symbol"]) == len(measured["y"])
