"""The screens as a manager reads them (issue 16): order, scope, words, units, markers.

Every page is drawn once on the demo warehouse (one AppTest run each, shared by the
tests below); the unit tests hold the shared rules of dashboard/ (tables, tiles, charts).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from conftest import open_app, show_charts, with_every_column

from dashboard import charts, presentation, tables, tiles
from modelops.warehouse import reading

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["pages/overview.py", "pages/reliability.py", "pages/incidents.py",
         "pages/releases.py", "pages/cost_value.py", "pages/model_quality.py",
         "pages/governance.py", "pages/model_detail.py", "pages/weekly_report.py",
         "pages/data.py"]
FILTERED = PAGES[:8]  # the pages the sidebar's period and scope apply to


def start(warehouse: Path, page: str | None = None, **params):
    # Not the `app` fixture: the module-scoped `drawn` below cannot use a function-scoped
    # monkeypatch, so the warehouse is set in the environment for the module.
    os.environ["MODELOPS_WAREHOUSE"] = str(warehouse)
    return open_app(page, timeout=90, **params)


def a_production_model(warehouse: Path) -> str:
    with reading(warehouse) as con:
        return con.execute("""
            SELECT d.model_id FROM deployments d JOIN models m USING (model_id)
            WHERE m.lifecycle_stage = 'production' AND d.environment = 'production'
            ORDER BY d.deployed_at DESC, d.model_id LIMIT 1""").fetchall()[0][0]


@pytest.fixture(scope="module")
def drawn(demo_warehouse) -> dict:
    """Every page, drawn once with the default filter."""
    model_id = a_production_model(demo_warehouse)
    return {page: start(demo_warehouse, page, **({"id": model_id}
                                                 if page.endswith("model_detail.py") else {}))
            for page in PAGES}


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


# --- 1. the Overview's models, worst first ------------------------------------------------

def test_overview_lists_models_worst_first(drawn):
    models = drawn["pages/overview.py"].dataframe[0].value
    rank = {"✗ SLO missed": 0, "! budget at risk": 1, "✓ healthy": 2, "– no traffic": 3}
    ranks = [rank[s] for s in models["status"]]
    assert ranks == sorted(ranks), "missed, at risk, healthy, no traffic"
    assert ranks[0] == 0, "the demo has models that missed an SLO: they come first"
    for r in set(ranks):
        budget = models.loc[[x == r for x in ranks], "error_budget_consumed"].dropna().tolist()
        assert budget == sorted(budget, reverse=True), "most budget consumed first"


# --- 7. the scope under every title -------------------------------------------------------

@pytest.mark.parametrize("page", FILTERED)
def test_every_page_states_its_scope(drawn, page):
    line = next(c for c in captions(drawn[page]) if c.startswith("Period: "))
    assert "Business units: all · Teams: all · Models: all" in line


def test_the_scope_names_business_units_not_ids(demo_warehouse):
    from queries.catalog import model_catalog

    with reading(demo_warehouse) as con:
        catalog = model_catalog(con)
    bu, name = catalog.select("business_unit_id", "business_unit").row(0)
    at = start(demo_warehouse, "pages/reliability.py", bu=bu)
    line = next(c for c in captions(at) if c.startswith("Period: "))
    assert f"Business units: {name} ·" in line


def test_weekly_report_and_data_say_the_period_does_not_apply(drawn, demo_warehouse):
    weekly = captions(drawn["pages/weekly_report.py"])
    assert not any(c.startswith("Period: ") for c in weekly)
    assert any("sidebar's period" in c and "do not apply" in c for c in weekly)
    assert any(c.startswith("Business units: all · Teams: all") for c in weekly)
    data = captions(drawn["pages/data.py"])
    assert any("sidebar filters do not apply" in c for c in data)


# --- 10-12. tables: words, units, key columns first ---------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_tables_read_as_words(drawn, page):
    raw = page.endswith("weekly_report.py")  # a preview of the CSV keeps its values
    for element in drawn[page].dataframe:
        frame = element.value
        for column in frame.columns:
            values = frame[column]
            assert str(values.dtype) != "bool" or raw, (page, column, "a yes/no as words")
            if values.dtype == object:
                texts = [v for v in values.tolist() if not isinstance(v, (int, float))]
                assert None not in texts, (page, column, "a missing text is –, not None")
                assert "None" not in texts, (page, column)
                if column in presentation.ENUMS:
                    assert not any("_" in v for v in texts), (page, column, texts[:3])
            if column == "severity":
                assert all(str(v).startswith("Sev ") for v in values), (page, column)


@pytest.mark.parametrize("page", PAGES)
def test_one_unit_per_quantity_in_every_table(drawn, page):
    for element in drawn[page].dataframe:
        config = json.loads(element.proto.columns)
        for name, spec in config.items():
            unit = presentation.measure(name).unit
            fmt = (spec.get("type_config") or {}).get("format")
            if name.endswith("_hours"):
                assert fmt == "%.1f h", (page, name)
            elif unit == "hours" and not page.endswith("weekly_report.py"):
                raise AssertionError(f"{page}: {name} is minutes under an hours measure")
            if name == "roi":
                assert fmt == "percent", (page, name)
            if name == "error_budget_allowed":
                assert fmt == "localized", "thousands separators"


def test_ids_hashes_and_digests_are_hidden_until_picked(drawn, demo_warehouse):
    # Not sent to the browser at all until picked in the table's "Columns" menu.
    def versions(at):
        return next(d.value for d in at.dataframe if "live_without_digest" in d.value.columns)

    def audit_trail():  # a lazy tab of Governance
        at = start(demo_warehouse, "pages/governance.py")
        at.session_state["governance_section"] = "Model versions (audit trail)"
        return at.run()

    order = list(versions(audit_trail()).columns)
    assert order[0] == "model"
    hidden = ("artifact_sha256", "code_commit", "artifact_uri")
    assert not {*hidden, "model_id"} & set(order)
    picked = with_every_column(audit_trail())
    assert set(hidden) <= set(versions(picked).columns)


def test_weekly_preview_starts_with_the_kpis(drawn):
    preview = drawn["pages/weekly_report.py"].dataframe[0]
    order = list(preview.value.columns)
    assert order[:3] == ["model", "requests", "errors"]
    assert not any(c.endswith("_id") for c in order)


def test_readable_cells_by_column_kind():
    frame = pl.DataFrame({"outcome": ["rolled_back", None], "severity": [2, None],
                          "latency_slo_met": [True, False], "open": [None, True],
                          "title": [None, "x"]})
    shown = tables.readable(frame)
    assert shown["outcome"].to_list() == ["rolled back", "–"]
    assert shown["severity"].to_list() == ["Sev 2", "–"]
    assert shown["latency_slo_met"].to_list() == ["✓ met", "✗ missed"]
    assert shown["open"].to_list() == ["–", "open"]
    assert shown["title"].to_list() == ["–", "x"]
    assert presentation.is_detail("deployment_id") and presentation.is_detail("code_commit")
    assert not presentation.is_detail("model") and not presentation.is_detail("detail")


# --- 4. tile deltas -------------------------------------------------------------------------

def test_count_deltas_are_counts_and_no_change_has_no_arrow():
    count = presentation.MEASURES["models_availability_slo_met"]
    assert tiles.delta_text(count, 152, 150) == "+2"
    assert tiles.delta_text(count, 150, 152) == "-2"
    assert tiles.delta_text(count, 150, 150) == "no change"
    pct = presentation.MEASURES["availability"]
    assert tiles.delta_text(pct, 0.99901, 0.99900) == "no change"  # -0.00 pp
    assert tiles.delta_text(pct, 0.9990, 0.9980) == "+0.10 pp"
    money = presentation.MEASURES["cost_usd"]
    assert tiles.delta_text(money, 100.0, 100.01) == "no change"  # -0.0%
    assert tiles.delta_text(money, 110.0, 100.0) == "+10.0%"
    assert tiles.delta_text(money, None, 100.0) is None


def test_unchanged_tiles_draw_no_arrow(drawn):
    for page in FILTERED:
        for metric in drawn[page].metric:
            if metric.delta == "no change":  # no arrow (direction NONE), grey
                assert metric.proto.direction == 2 and metric.proto.color == 2, page


# --- 2. "now" and the last 24 hours ---------------------------------------------------------

def test_last_24_hours_is_24_whole_hours():
    from dashboard.filter_bar import last_24_hours

    start_, end = last_24_hours(datetime(2026, 11, 30, 14, 37, tzinfo=UTC))
    assert (start_, end) == (datetime(2026, 11, 29, 14), datetime(2026, 11, 30, 14))


def test_the_last_24_hours_preset_filters_24_hours(demo_warehouse):
    at = start(demo_warehouse, "pages/incidents.py", period="24h")
    f = at.session_state["filter"]
    assert f.end - f.start == timedelta(hours=24) and f.end.minute == 0
    assert f.end > datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)


def test_burn_rates_are_at_the_newest_complete_hour_whatever_the_period(demo_warehouse):
    from queries import kpi

    today = datetime.now(UTC).date()
    at = start(demo_warehouse, "pages/reliability.py", period="custom",
               start=str(today - timedelta(days=20)), end=str(today - timedelta(days=10)))
    f = at.session_state["filter"]
    with reading(demo_warehouse) as con:
        newest = kpi.latest_serving_hour(con, f)
    assert newest > f.end
    assert any(f"before {newest:%d %b %Y %H:%M} UTC" in c for c in captions(at))


def test_open_incidents_are_judged_now_whatever_the_period(demo_warehouse):
    today = datetime.now(UTC).date()
    at = start(demo_warehouse, "pages/incidents.py", period="custom",
               start=str(today - timedelta(days=20)), end=str(today - timedelta(days=10)))
    heading = next(h.value for h in at.subheader if h.value.startswith("Open now ("))
    assert datetime.now(UTC).strftime("%d %b %Y") in heading


# --- 3, 5, 6. charts --------------------------------------------------------------------------

def figures(at) -> dict[str, dict]:
    return {json.loads(c.proto.spec)["layout"]["title"]["text"]: json.loads(c.proto.spec)
            for c in at.get("plotly_chart")}


def test_partial_weeks_are_marked(demo_warehouse):
    at = show_charts(start(demo_warehouse, "pages/incidents.py"))
    chart = next(f for t, f in figures(at).items()
                 if t.startswith("Incidents per week by severity"))
    opacity = [o for trace in chart["data"] for o in trace["marker"]["opacity"]]
    notes = [n for trace in chart["data"] for n in trace["customdata"]]
    # 30 days never start and end on a week's edges both: a week is partial.
    assert 0.45 in opacity and 1.0 in opacity
    assert any("partial:" in note for note in notes)


def test_partial_days_of_buckets():
    window = (datetime(2026, 11, 4), datetime(2026, 12, 3))
    weeks = [datetime(2026, 11, 2), datetime(2026, 11, 9), datetime(2026, 11, 30)]
    assert charts.partial_days(weeks, "week", *window) == [5, None, 3]
    assert charts.partial_days([datetime(2026, 12, 1)], "month", *window) == [2]


def test_cost_per_1k_requests_starts_at_zero(demo_warehouse):
    at = start(demo_warehouse, "pages/cost_value.py")
    at.session_state["cost_value_section"] = "Cost and value per day"  # a lazy tab
    at.run()
    chart = figures(at)["Cost per 1k requests per day"]
    assert chart["layout"]["yaxis"]["rangemode"] == "tozero"


def test_outliers_are_clipped_with_their_value():
    shown, labels = charts.clipped([0.5, 17.0, None], 2.0)
    assert shown == [0.5, 2.0, None] and labels == ["", "1700% ▶", ""]


def test_cost_is_one_colour_on_every_chart(drawn):
    for page in ("pages/overview.py", "pages/cost_value.py", "pages/model_detail.py"):
        for title, chart in figures(drawn[page]).items():
            for trace in chart["data"]:
                if trace.get("name") == "cost":
                    colour = (trace.get("marker") or {}).get("color") or \
                        (trace.get("line") or {}).get("color")
                    assert colour == charts.COLOURS["cost"], (page, title)


def test_latency_against_target_is_a_ranked_bar_chart(demo_warehouse):
    at = show_charts(start(demo_warehouse, "pages/reliability.py"))
    chart = next(f for t, f in figures(at).items()
                 if t.startswith("Latency p95 ÷ target"))
    # One trace per status (a pattern each, issue 28 item 13); the models keep the ranking.
    ratio = {}
    for bars in chart["data"]:
        assert bars["type"] == "bar" and bars["orientation"] == "h"
        ratio.update({y: row[2] for y, row in zip(bars["y"], bars["customdata"], strict=True)})
    ratios = [ratio[y] for y in chart["layout"]["yaxis"]["categoryarray"]]
    assert len(ratios) == len(ratio) and ratios == sorted(ratios, reverse=True)


def test_team_lines_never_share_a_colour():
    names = [f"team {i}" for i in range(20)]
    assert len(set(charts.colour_for(names).values())) == 20


# --- 8, 13, 14. page content ------------------------------------------------------------------

def test_model_detail_has_a_status_headline(drawn):
    at = drawn["pages/model_detail.py"]
    lines = [e.value for e in (*at.error, *at.warning, *at.success, *at.info)]
    assert any(line.startswith(("SLO missed: ", "Error budget at risk: ", "Within SLO: ",
                                "No traffic")) for line in lines), lines


def test_team_table_is_in_the_charts_order_with_net_value_and_roi(drawn):
    at = drawn["pages/cost_value.py"]
    table = next(d.value for d in at.dataframe if list(d.value.columns)[:3] == [
        "group_name", "net_value_usd", "roi"])
    net = table["net_value_usd"].dropna().tolist()
    assert net == sorted(net, reverse=True)


def test_uncovered_models_name_team_and_owner(demo_warehouse):
    at = start(demo_warehouse, "pages/model_quality.py")
    at.session_state["model_quality_section"] = "Validation coverage"  # a lazy tab
    at.run()
    tables_ = [d.value for d in at.dataframe if "why" in d.value.columns]
    if tables_:
        assert {"group_name", "team", "owner", "why"} <= set(tables_[0].columns)
    coverage = next(d.value for d in at.dataframe if "covered_models" in d.value.columns)
    assert list(coverage.columns)[:2] == ["group_name", "validation_coverage"]


# --- 17. the Definitions page -------------------------------------------------------------------

def test_definitions_has_one_title_no_quote_and_no_developer_section(demo_warehouse):
    at = start(demo_warehouse, "pages/definitions.py")
    assert [t.value for t in at.title] == ["KPI definitions"]
    text = presentation.definitions_markdown()
    assert not text.startswith("# ")
    assert not [line for line in text.splitlines() if line.lstrip().startswith(">")]
    assert "reference vectors" not in text.lower()
    assert (ROOT / "docs" / "REFERENCE_VECTORS.md").exists()
