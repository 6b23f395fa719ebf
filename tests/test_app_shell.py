"""The app shell under AppTest: first start, the filter bar and the URL, the cache and
new data, and the Overview, Weekly report, Data and Definitions pages."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from conftest import with_every_column

from dashboard import tables
from modelops.reports import weekly
from modelops.warehouse import reading, writing
from modelops.warehouse.ingest import ingest_file
from queries.catalog import model_catalog


@pytest.fixture(scope="module")
def catalog(demo_warehouse):
    with reading(demo_warehouse) as con:
        return model_catalog(con)


# Week in review is the landing page (issue 14); these tests are about the Overview.
OVERVIEW = "pages/overview.py"


def tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_first_start_builds_the_demo_warehouse(app, tmp_path):
    missing = tmp_path / "fresh" / "warehouse.duckdb"
    at = app(missing, OVERVIEW)
    assert missing.exists()
    assert at.title[0].value == "Overview"
    assert tiles(at)["Requests"] not in ("", "–")


def test_overview_shows_tiles_models_and_trends(app, demo_warehouse):
    at = app(demo_warehouse, OVERVIEW)
    assert at.title[0].value == "Overview"
    shown = tiles(at)
    for label in ("Requests", "Availability", "Error budget consumed", "Latency p95",
                  "Incidents", "Cost", "Business value"):
        assert shown[label] not in ("", "–"), label
    models = at.dataframe[0].value
    assert {"status", "model", "availability", "detail"} <= set(models.columns)
    assert models["detail"].str.startswith("/model?id=").all()
    # The trends are a lazy tab: no chart (nor its queries) until it is opened.
    assert [t.label for t in at.tabs] == ["Models", "Trends"]
    assert len(at.get("plotly_chart")) == 0
    at.session_state["overview_section"] = "Trends"
    at.run()
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert titles == ["Availability per day, with deployments and incidents",
                      "Latency per day (merged histogram)", "Cost and business value per day"]
    assert not at.dataframe  # the models' table is in the other tab


def test_a_filter_in_the_url_scopes_the_numbers_and_round_trips(app, demo_warehouse, catalog):
    everything = app(demo_warehouse, OVERVIEW)
    bu = catalog["business_unit_id"][0]
    one = app(demo_warehouse, OVERVIEW, bu=bu, period="7d")
    assert one.sidebar.multiselect(key="bu").value == [bu]
    assert one.sidebar.selectbox(key="period").value == "7d"
    assert tiles(one)["Requests"] != tiles(everything)["Requests"]
    own = set(catalog.filter(catalog["business_unit_id"] == bu)["model"])
    assert set(one.dataframe[0].value["model"]) <= own
    # A widget change goes back into the URL, by id; the default period is left out.
    team = catalog.filter(catalog["business_unit_id"] == bu)["team_id"][0]
    one.sidebar.multiselect(key="team").set_value([team]).run()
    assert one.query_params["team"] in (team, [team])
    assert one.query_params["bu"] in (bu, [bu])
    assert one.query_params["period"] in ("7d", ["7d"])
    one.sidebar.selectbox(key="period").set_value("30d").run()
    assert "period" not in one.query_params


def test_unknown_ids_in_the_url_are_dropped_with_a_note(app, demo_warehouse):
    # The note is drawn on the run that reads the link, the landing page's.
    at = app(demo_warehouse, bu=["nope", "' OR 1=1 --"], model="x" * 500)
    notes = [w.value for w in at.sidebar.warning]
    # the ids are text: Markdown-escaped (dashboard/text.plain), shown as 'nope'
    assert any("unknown business units" in n and "\\'nope\\'" in n for n in notes)
    assert any("unknown models" in n for n in notes)
    assert at.sidebar.multiselect(key="bu").value == []
    at.switch_page(OVERVIEW).run()
    assert tiles(at)["Requests"] == tiles(app(demo_warehouse, OVERVIEW))["Requests"]


def test_a_huge_list_in_the_url_is_dropped_without_a_crash(app, demo_warehouse):
    everything = tiles(app(demo_warehouse, OVERVIEW))["Requests"]
    crafted = [f"bu-{n}'); DROP TABLE models; --" for n in range(900)]
    at = app(demo_warehouse, bu=crafted)
    assert any("and 895 more" in w.value for w in at.sidebar.warning)
    at.switch_page(OVERVIEW).run()
    assert tiles(at)["Requests"] == everything
    # Past 1,000 parameters Streamlit itself ignores the query string.
    assert tiles(app(demo_warehouse, OVERVIEW, bu=crafted * 6))["Requests"] == everything
    with reading(demo_warehouse) as con:
        assert con.execute("SELECT count(*) FROM models").fetchall()[0][0] > 0


def test_a_custom_period_comes_from_the_url(app, demo_warehouse):
    end = datetime.now(UTC).date() - timedelta(days=3)
    start = end - timedelta(days=9)
    at = app(demo_warehouse, OVERVIEW, period="custom", start=start.isoformat(),
             end=end.isoformat())
    # The page header's scope line starts with the period.
    assert any(c.value.startswith(f"Period: {start:%d %b %Y} – {end:%d %b %Y} UTC · ")
               for c in at.caption), [c.value for c in at.caption]


def test_new_data_shows_after_an_ingest_without_a_restart(app, demo_warehouse, catalog,
                                                          tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    at = app(warehouse, OVERVIEW)
    before = int(tiles(at)["Incidents"].replace(",", ""))
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    path = tmp_path / "incidents.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["incident_id", "model_id", "severity", "title", "started_at"])
        for n in range(3):
            writer.writerow([f"new-{n}", catalog["model_id"][0], 2, "fresh", f"{yesterday}T08:00Z"])
    with writing(warehouse) as con:
        assert ingest_file(con, path).inserted == 3
    at.run()
    assert int(tiles(at)["Incidents"].replace(",", "")) == before + 3


def test_weekly_report_page_previews_the_cli_report(app, demo_warehouse, catalog):
    at = app(demo_warehouse, "pages/weekly_report.py")
    assert at.title[0].value == "Weekly report"
    week = at.selectbox(key="report_week").value
    assert week == weekly.last_complete_week(datetime.now(UTC).replace(tzinfo=None))
    preview = with_every_column(at).dataframe[0].value
    with reading(demo_warehouse) as con:
        expected = weekly.weekly_report(con, week)
    assert sorted(preview.columns) == sorted(expected.columns)
    # The first rows of the report (a table sends tables.ROWS rows at a time).
    assert len(preview) == min(expected.height, tables.ROWS)
    assert preview["model_id"].tolist() == expected["model_id"].to_list()[:len(preview)]
    assert at.get("download_button")


def test_weekly_report_download_is_byte_identical_to_the_cli(demo_warehouse, catalog,
                                                             capsys):
    """The page's bytes are to_csv(weekly_report(...)) for the filter's business units and
    teams; the CLI's are the same call. Compare them for a scoped, grouped report."""
    from modelops.cli import main as cli

    week = weekly.last_complete_week(datetime.now(UTC).replace(tzinfo=None))
    bu = catalog["business_unit_id"][0]
    with reading(demo_warehouse) as con:
        page_bytes = weekly.to_csv(weekly.weekly_report(
            con, week=week, business_units=(bu,), teams=(), group_by="team"))
    assert cli(["report", "weekly", "--week", week, "--business-unit", bu, "--group-by",
                "team", "--out", "-", "--warehouse", str(demo_warehouse)]) == 0
    assert capsys.readouterr().out.encode() == page_bytes


def test_data_page_lists_entities_loads_and_quarantine(app, demo_warehouse):
    at = app(demo_warehouse, "pages/data.py")
    assert at.title[0].value == "Data"
    status = at.dataframe[0].value
    assert len(status) == 16   # the contract entities, with action_items and oncall_pages
    assert (status.set_index("entity")["rows"] > 0).all()
    assert len(at.dataframe[1].value) > 0


def test_the_data_page_is_listed_only_for_admins_under_a_policy(app, demo_warehouse, tmp_path,
                                                                monkeypatch, catalog):
    policy = tmp_path / "policy.toml"
    mine = catalog["business_unit_id"][0]
    policy.write_text(f'admins = ["boss@example.com"]\n[grants]\n"alice@example.com" = ["{mine}"]\n')
    monkeypatch.setenv("MODELOPS_ACCESS_POLICY", str(policy))
    assert app(demo_warehouse, "pages/data.py", user="boss@example.com").title[0].value == "Data"
    # Not in Alice's navigation at all (before, it was listed and then refused her).
    with pytest.raises(ValueError, match="Could not find a navigation page") as listed:
        app(demo_warehouse, "pages/data.py", user="alice@example.com")
    assert "pages/weekly_report.py" in str(listed.value)
    assert "pages/data.py'" not in str(listed.value).split("Known pages")[1]


def test_definitions_page_renders_metrics(app, demo_warehouse):
    at = app(demo_warehouse, "pages/definitions.py")
    assert "error budget" in " ".join(m.value for m in at.markdown).lower()


def test_definitions_page_gives_plain_words_first_and_the_formula_in_an_expander(
        app, demo_warehouse):
    """Issue 28, item 15: per KPI, the first text is what the number tells in plain words
    (no formula: no "/", "=", "×" or code), with its unit in words, and the formula (the
    measure's help) sits right after it in a "How it is computed" expander; each section's
    full definition is behind an expander too."""
    from dashboard.presentation import MEASURES, UNIT_WORDS

    at = app(demo_warehouse, "pages/definitions.py")
    shown = [el for el in at.main.children.values()]
    kpis = {"availability": "Availability", "error_budget_consumed": "Error budget consumed",
            "mttr_minutes": "MTTR", "change_failure_rate": "Change failure rate",
            "roi": "ROI", "out_of_hours_share": "Out-of-hours share"}
    for key, label in kpis.items():
        first = [i for i, el in enumerate(shown) if el.type == "markdown"
                 and el.value.startswith(f"**{label}** (")]
        assert first, f"no plain entry for {label}"
        text = shown[first[0]].value
        assert f"({UNIT_WORDS[MEASURES[key].unit]})" in text
        plain = text.split(": ", 1)[1]
        assert not any(sign in plain for sign in ("/", "=", "×", "`")), text
        after = shown[first[0] + 1]
        assert after.type == "expander" and after.label == "How it is computed", after
        assert [m.value for m in after.markdown] == [MEASURES[key].help]
    assert "hours" in next(el.value for el in shown if el.type == "markdown"
                           and el.value.startswith("**MTTR**"))
    labels = [e.label for e in at.expander]
    # One full definition per section; the SQL-ish formulas live only behind expanders.
    assert labels.count("How it is computed") >= 15 + len(kpis)
    outside = " ".join(el.value for el in shown if el.type == "markdown")
    assert "1 - errors / requests" not in outside
    assert "1 - errors / requests" in " ".join(m.value for e in at.expander for m in e.markdown)


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/weekly_report.py",
                                  "pages/data.py", "pages/definitions.py"])
def test_pages_on_an_empty_warehouse_explain_why_they_are_empty(app, empty_warehouse, page):
    at = app(empty_warehouse, page)
    assert at.title
    if page != "pages/definitions.py":
        assert at.info, "an empty page must say why it is empty"


# --- the app shell ----------------------------------------------------------------------

def test_a_run_that_did_not_go_through_app_py_draws_nothing_and_reruns():
    """On a fresh server a page URL can run a page file alone (Streamlit's legacy pages/
    mode), and another session may already have left that mode: the page must still draw
    nothing and rerun through the shell."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from dashboard import shell

        st.session_state["runs"] = st.session_state.get("runs", 0) + 1
        if st.session_state["runs"] == 1:
            shell.require_app_shell()  # a page run alone
            st.markdown("drawn outside the shell")
        with shell.app_shell():
            shell.require_app_shell()  # a page navigated to by app.py
            st.markdown(f"drawn in the shell on run {st.session_state['runs']}")

    at = AppTest.from_function(script, default_timeout=30)
    PagesManager.uses_pages_directory = False  # another session left legacy mode already
    at.run()
    assert not at.exception
    assert [m.value for m in at.markdown] == ["drawn in the shell on run 2"]


def test_the_first_demo_build_runs_once_on_its_own_thread_then_the_page_draws(tmp_path):
    """The build runs on a thread of its own (a session that goes away must not stop it);
    the session waits for it, then its build screen is cleared and the page draws. (What
    the screen shows meanwhile is held by tests/test_browser.py, in a real browser.)"""
    import threading

    from streamlit.testing.v1 import AppTest

    def script():
        import threading
        from pathlib import Path

        import streamlit as st

        from dashboard import shell

        path = Path(st.session_state["path"])
        release, builds = st.session_state["release"], st.session_state["builds"]

        def build(path, progress):  # runs on the build's own thread
            builds.append(path)
            progress("business_units: 4 rows (0.0 s)")
            progress("  metrics_hourly models 1-2 of 2: 10 rows (0.0 s)")
            release.wait(10)
            path.write_text("built")

        assert isinstance(release, threading.Event)
        shell.ensure_warehouse(path, build, poll_s=0.05)
        st.markdown("the page")

    release, builds = threading.Event(), []
    path = tmp_path / "warehouse.duckdb"
    at = AppTest.from_function(script, default_timeout=30)
    at.session_state["path"], at.session_state["release"] = str(path), release
    at.session_state["builds"] = builds
    timer = threading.Timer(1.5, release.set)
    timer.start()
    at.run()
    timer.join()
    assert not at.exception, [e.value for e in at.exception]
    assert path.read_text() == "built" and builds == [path]
    assert [m.value for m in at.markdown] == ["the page"]
    assert not at.title  # the build screen is gone once the warehouse is there
