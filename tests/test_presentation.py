"""One registry for how a KPI or column is presented (dashboard/presentation.py): every
definition it links exists, and the same KPI reads the same on every page."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import polars as pl
import pytest

from dashboard import formats, presentation
from dashboard.presentation import MEASURES, heading_id, label_for, measure, unit_for

ROOT = Path(__file__).resolve().parents[1]
METRICS = ROOT / "docs" / "METRICS.md"


def metrics_anchors() -> set[str]:
    """The heading ids on the Definitions page: of what it renders, not of the file."""
    return {heading_id(line.lstrip("#").strip())
            for line in presentation.definitions_markdown().splitlines()
            if re.match(r"#{1,6} ", line)}


def test_heading_ids_are_the_ones_streamlit_gives():
    # The Incidents and Releases ids were read off the Definitions page in a browser.
    assert heading_id("Incidents [Atlassian and PagerDuty incident-metric definitions]") == \
        "incidents-atlassian-and-pager-duty-incident-metric-definitions"
    assert heading_id("Releases (DORA four keys) [DORA; dora-team/fourkeys]") == \
        "releases-dora-four-keys-dora-dora-team-fourkeys"
    assert heading_id("Serving") == "serving"


def test_every_measure_links_a_heading_of_metrics_md():
    anchors = metrics_anchors()
    missing = {key: m.anchor for key, m in MEASURES.items() if m.anchor not in anchors}
    assert not missing, missing


def test_every_page_header_links_a_heading_of_metrics_md():
    """page_header(title, what, anchor): the anchor is a literal or a presentation constant."""
    anchors = metrics_anchors()
    linked = {}
    for path in (ROOT / "pages").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "page_header" and len(node.args) > 2):
                anchor = node.args[2]
                value = (anchor.value if isinstance(anchor, ast.Constant)
                         else getattr(presentation, anchor.attr))
                linked[path.name] = value
    # Every page with a header links its definitions, except the two that are not a KPI's
    # page (Data: loads; Model detail: every KPI, linked from its tiles' help).
    headed = {path.name for path in (ROOT / "pages").glob("*.py")
              if "page_header(" in path.read_text()}
    assert headed - set(linked) <= {"data.py", "model_detail.py"}, headed - set(linked)
    assert {"reliability.py", "incidents.py", "releases.py", "cost_value.py",
            "model_quality.py", "governance.py", "weekly_report.py"} <= set(linked)
    assert {page: a for page, a in linked.items() if a not in anchors} == {}
    # A wrapped line starting with ">" would render as a quote, not as the definition.
    assert not [line for line in METRICS.read_text().splitlines()
                if line.lstrip().startswith(">")]


def test_report_headers_are_the_registrys_labels():
    """modelops/reports/labels.py (the spreadsheet's headers) names each KPI as the dashboard does."""
    from modelops.reports import labels

    for column, (header, _) in labels.REPORT.items():
        if column in MEASURES and column not in ("availability_slo_met", "latency_slo_met"):
            assert header == MEASURES[column].label, column


def test_labels_name_one_kpi_each():
    """Two KPIs never share a label, unless one is the other under another column name."""
    by_label: dict[str, set[int]] = {}
    for m in MEASURES.values():
        by_label.setdefault(m.label, set()).add(id(m))
    shared = {label for label, ids in by_label.items() if len(ids) > 1}
    # A model's verdict (a table cell) and the count of models with it (a tile).
    assert shared == {"Availability SLO met", "Latency SLO met"}


def test_the_suffix_rule_and_one_unit_per_quantity():
    assert unit_for("latency_p50_ms") == "ms" and unit_for("cost_usd") == "usd"
    assert unit_for("registered_at") == "datetime" and unit_for("runbook_url") == "link"
    assert unit_for("some_new_minutes") == "hours" and unit_for("failed_row_fraction") == "pct"
    assert unit_for("rows", pl.Int64) == "int" and unit_for("owner", pl.String) == "text"
    assert label_for("latency_p50_ms") == "Latency p50" and label_for("foo_usd") == "foo"
    # MTTR, lead time and recovery: hours with one decimal, in tiles and in tables.
    for key in ("mttr_minutes", "lead_time_median_minutes", "recovery_time_median_minutes",
                "lead_time_minutes", "time_to_resolve_minutes"):
        assert MEASURES[key].unit == "hours", key
    assert presentation.show("mttr_minutes", 1921) == "32.0 h"
    assert presentation.TABLE_FORMATS["hours"] == ("%.1f h", 1 / 60)
    assert presentation.show("requests", 1_234) == "1,234"
    assert presentation.show("deployments", 12) == "12"
    assert MEASURES["deployments"].direction is None
    assert measure("dq_pass_rate") is measure("pass_rate")
    assert formats.hours(None) == "–"


# --- the same KPI reads the same on every page ------------------------------------------

# Pages under the same filter (the default period, every model).
SAME_FILTER = ["pages/overview.py", "pages/reliability.py", "pages/incidents.py",
               "pages/releases.py", "pages/cost_value.py", "pages/model_quality.py",
               "pages/governance.py"]


@pytest.fixture(scope="module")
def tiles_per_page(demo_warehouse):
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["MODELOPS_WAREHOUSE"] = str(demo_warehouse)
    shown = {}
    for page in SAME_FILTER:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        shown[page] = {m.label: (m.value, m.help) for m in at.metric}
    return shown


def test_every_tile_is_a_registered_kpi_with_its_definition(tiles_per_page):
    by_label = {m.label: m for m in MEASURES.values()}
    for page, tiles in tiles_per_page.items():
        assert tiles, page
        for label, (_, help_text) in tiles.items():
            assert label in by_label, (page, label)
            assert help_text.startswith(by_label[label].help), (page, label, help_text)


def test_the_same_kpi_reads_the_same_on_every_page(tiles_per_page):
    seen: dict[str, dict[str, str]] = {}
    for page, tiles in tiles_per_page.items():
        for label, (value, _) in tiles.items():
            seen.setdefault(label, {})[page] = value
    shared = {label: pages for label, pages in seen.items() if len(pages) > 1}
    # The headline KPIs appear on the Overview and on their own page.
    assert {"Requests", "Availability", "Error budget consumed", "Latency p95", "Incidents",
            "MTTR", "Production deployments", "Change failure rate", "Cost", "ROI",
            "Business value"} <= set(shared)
    differing = {label: pages for label, pages in shared.items()
                 if len(set(pages.values())) > 1}
    assert not differing, differing


def test_tables_show_minutes_as_hours_under_an_honest_name(app, demo_warehouse):
    from modelops.warehouse import reading
    from queries import kpi

    at = app(demo_warehouse, page="pages/incidents.py")
    teams = next(d for d in at.dataframe if "mttr_hours" in d.value.columns)
    config = json.loads(teams.proto.columns)
    assert config["mttr_hours"]["type_config"]["format"] == "%.1f h"
    assert config["mttr_hours"]["label"] == "MTTR"
    assert config["mttd_minutes"]["type_config"]["format"] == "%.0f min"
    f = at.session_state["filter"]
    with reading(demo_warehouse) as con:
        expected = kpi.incident_summary(con, f, by="team").filter(pl.col("incidents") > 0)
    shown = dict(zip(teams.value["group_name"], teams.value["mttr_hours"]))
    for row in expected.iter_rows(named=True):
        if row["mttr_minutes"] is not None:
            assert shown[row["group_name"]] == pytest.approx(row["mttr_minutes"] / 60)


def test_the_weekly_preview_keeps_the_csv_columns_and_units(app, demo_warehouse):
    at = app(demo_warehouse, "pages/weekly_report.py")
    preview = at.dataframe[0]
    assert "mttr_minutes" in preview.value.columns and "mttr_hours" not in preview.value.columns
    assert json.loads(preview.proto.columns)["mttr_minutes"]["type_config"]["format"] == \
        "%.0f min"


def test_the_definitions_page_names_no_sql_files_outside_headings():
    """Issue 28 item 15: the page managers read keeps the words, not the files behind them
    (METRICS.md keeps them for engineers); headings are kept whole, links point at them."""
    shown = presentation.definitions_markdown()
    body = [line for line in shown.splitlines() if not line.startswith("#")]
    assert not [line for line in body if re.search(r"`[\w.]+\.sql`", line)
                and "macros.sql" not in line]
    assert "`team_load.sql`" in METRICS.read_text() and "Team load" in shown
