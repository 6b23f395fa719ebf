"""The weekly operations review's pages under AppTest (issue 14): Week in review (the
default page) and Team, on the demo and on an empty warehouse; the demo's stories show on
them; the review file the page offers has the CLI's bytes; and follow-ups per owner add up
to follow-ups per team."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
from conftest import show_charts

from dashboard.text import plain
from modelops.cli import main as cli
from modelops.reports import review, weekly
from modelops.reports import weekly as report
from modelops.reports.review import review_file
from modelops.warehouse import reading
from queries import kpi
from queries.filters import Filter

SECTIONS = [title for _, title, *_ in kpi.REVIEW_SECTIONS]


def titles(at) -> list[str]:
    return [t.value for t in at.title]


def subheaders(at) -> list[str]:
    return [s.value for s in at.subheader]


def table_with(at, column: str):
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table has a {column!r} column")


def last_week() -> str:
    return weekly.last_complete_week(datetime.now(UTC))


# --- Week in review ---------------------------------------------------------------------

def test_week_in_review_is_the_landing_page_with_every_section(app, demo_warehouse):
    at = app(demo_warehouse)
    week = last_week()
    assert titles(at) == [f"Week in review · {review.week_dates(week)}"]  # the week's dates
    assert at.selectbox(key="review_week").value == week
    assert at.query_params["week"] in (week, [week])       # always in the URL
    heads = subheaders(at)
    for title in SECTIONS:
        assert any(h.startswith(title) for h in heads), (title, heads)
    assert any(h == "The review as a file" for h in heads)
    # one counter per section above the sections, in their order, each linking to it
    with reading(demo_warehouse) as con:
        _, _, sections = review.review_sections(con, week)
    assert [(m.label, m.value) for m in at.metric] == [
        (f"[{s.counted[0].upper() + s.counted[1:]}](#{review.anchor(s)})", f"{s.count:,}")
        for s in sections]
    anchors = {h.proto.anchor for h in at.subheader}
    assert {review.anchor(s) for s in sections} <= anchors
    # each row links to its model (or its incidents, its team) for the reviewed week
    items = [f.value for f in at.dataframe if "open" in f.value.columns]
    assert items, "the demo's last week has something to review"
    url = items[0]["open"][0]
    path, query = urlsplit(url).path, parse_qs(urlsplit(url).query)
    assert path == "/model" and query["id"][0].startswith("mdl-")
    assert query["period"] == ["custom"]
    start, _ = report.parse_week(week)
    assert query["start"] == [start.date().isoformat()]
    assert len(at.get("download_button")) == 2
    assert not at.warning


def test_a_long_section_sends_its_rows_a_page_at_a_time(app, demo_warehouse, monkeypatch):
    """The landing page sent every row of every section (989 risk reviews due at 2,000
    models: 288 kB on each visit); a section longer than tables.ROWS now goes ROWS rows at a
    time, in the review's order, with a picker of the range."""
    from dashboard import tables

    monkeypatch.setattr(tables, "ROWS", 3)
    week = last_week()
    with reading(demo_warehouse) as con:
        _, _, sections = review.review_sections(con, week)
    long = next(s for s in sections if len(s.items) > 3)
    at = app(demo_warehouse)
    first_column = long.columns[0].name
    listed = [s.name for s in sections if s.items]  # the section tables, in their order

    def section_rows(name: str):
        return [f.value for f in at.dataframe if "open" in f.value.columns][listed.index(name)]

    shown = section_rows(long.name)
    assert len(shown) == 3
    assert list(shown[first_column]) == [i.values[0] for i in long.items[:3]]
    picker = at.selectbox(key=f"review_{long.name}_rows")
    assert picker.options[:2] == [f"rows 1–3 of {len(long.items)}",
                                  f"rows 4–{min(6, len(long.items))} of {len(long.items)}"]
    picker.set_value(3).run()
    shown = section_rows(long.name)
    assert list(shown[first_column]) == [i.values[0] for i in long.items[3:6]]
    # the incidents' wrapped lines are those of the rows shown, not every incident
    titled = next(s for s in sections if len(s.items) > 3
                  and any(c.name == "title" for c in s.columns))
    assert any(c.value == f"Rows 1–3 of {len(titled.items):,} in full:" for c in at.caption)
    heads = [review.item_in_words(titled, i)[0] for i in titled.items]
    assert len(set(heads)) == len(heads)
    lines = next(m.value for m in at.markdown if f"**{plain(heads[0])}**" in m.value)
    assert [h for h in heads if f"**{plain(h)}**" in lines] == heads[:3]
    # a short section has no picker and all its rows
    short = next(s for s in sections if 0 < len(s.items) <= 3)
    with pytest.raises(KeyError):
        at.selectbox(key=f"review_{short.name}_rows")


def test_a_link_picks_the_week_and_the_period_does_not_move_it(app, demo_warehouse):
    from datetime import timedelta
    today = datetime.now(UTC).date()
    # The sidebar's period does not apply here (folded away with the models): the last week.
    at = app(demo_warehouse, period="custom",
             start=(today - timedelta(days=60)).isoformat(),
             end=(today - timedelta(days=40)).isoformat())
    assert at.selectbox(key="review_week").value == last_week()
    (aside,) = at.sidebar.expander
    assert aside.label == "Period and models: not used on this page"
    assert aside.selectbox(key="period").value == "custom"          # kept, out of sight
    assert aside.multiselect(key="model") is not None
    assert at.sidebar.multiselect(key="bu") is not None
    # on another page the period is a filter again, with the value it kept
    at.switch_page("pages/overview.py").run()
    assert not at.sidebar.expander and at.selectbox(key="period").value == "custom"
    assert at.date_input(key="dates").value == (today - timedelta(days=60),
                                                today - timedelta(days=40))
    # and back: a period picked on Overview survives a visit to the review
    at.selectbox(key="period").set_value("7d").run()
    at.switch_page("pages/week_in_review.py").run()
    at.switch_page("pages/overview.py").run()
    assert at.selectbox(key="period").value == "7d"
    # ?week= opens that week; another week picked goes into the URL.
    picked = weekly.last_complete_week(datetime.now(UTC) - timedelta(weeks=3))
    at = app(demo_warehouse, week=picked.lower())
    assert at.selectbox(key="review_week").value == picked
    assert titles(at) == [f"Week in review · {review.week_dates(picked)}"]
    at.selectbox(key="review_week").set_value(last_week()).run()
    assert at.query_params["week"] in (last_week(), [last_week()])


def test_week_in_review_links_keep_the_filter_bar_choices(app, demo_warehouse):
    with reading(demo_warehouse) as con:
        unit = con.execute("SELECT business_unit_id FROM models JOIN teams USING (team_id)"
                       " GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    at = app(demo_warehouse, bu=unit)
    links = [u for f in at.dataframe if "open" in f.value.columns for u in f.value["open"]]
    assert links and all(parse_qs(urlsplit(u).query)["bu"] == [unit] for u in links)


def test_incident_text_is_readable_in_full_under_the_grid(app, demo_warehouse):
    """Issue 28, item 8: a grid cuts an incident's title and postmortem state at its
    column's width (all of them at 390 px); under the table each incident is a wrapped line
    of text with its title whole, postmortem and follow-ups, as the data has them (escaped,
    never Markdown)."""

    week = last_week()
    with reading(demo_warehouse) as con:
        _, _, sections = review.review_sections(con, week)
    incidents = next(s for s in sections if s.name == "incidents")
    assert incidents.items, "the demo's last week has sev 1-2 incidents"
    at = app(demo_warehouse)
    lines = next(m.value for m in at.markdown
                 if m.value.startswith("- **") and "Postmortem" in m.value).split("\n")
    assert len(lines) == len(incidents.items)
    for line, item in zip(lines, incidents.items, strict=True):
        incident_id, _, _, title, _, postmortem, open_items, _, overdue = item.values
        assert line.startswith(f"- **{plain(incident_id)}** · ")
        assert plain(f"Title: {title}") in line          # whole, not cut
        assert plain(f"Postmortem: {postmortem}") in line
        assert plain(f"Follow-ups open: {open_items}") in line
        assert plain(f"Follow-ups overdue: {overdue}") in line
    assert any(c.value == f"Each of the {len(lines)} in full:" for c in at.caption)


def test_overdue_follow_ups_story_shows_in_the_overdue_section(app, demo_warehouse):
    # The demo's story: one model's postmortem follow-ups are never closed.
    with reading(demo_warehouse) as con:
        items = con.sql("SELECT model_id, m.name AS model, count(*) AS n,"
                        " count(closed_at) AS closed FROM action_items a"
                        " JOIN models m USING (model_id) GROUP BY ALL").pl()
    story = items.filter(pl.col("closed") == 0).sort("n", descending=True).row(0, named=True)
    assert story["n"] >= 3
    at = app(demo_warehouse)
    overdue = table_with(at, "days_overdue")                  # the items behind the owners
    assert story["model"] in set(overdue["model"]), overdue
    owners = table_with(at, "owner")
    assert set(overdue["owner"]) <= set(owners["owner"]), "owners with overdue follow-ups"


def test_week_in_review_on_an_empty_warehouse_says_why(app, empty_warehouse):
    at = app(empty_warehouse)
    assert titles(at) == [f"Week in review · {review.week_dates(last_week())}"]
    assert at.info and "no models" in at.info[0].value
    assert not at.exception


def test_an_empty_section_says_so_in_one_line(app, make_warehouse):
    path = make_warehouse({
        "business_units": [{"business_unit_id": "b1", "name": "North"}],
        "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "b1"}],
        "models": [{"model_id": "m1", "name": "Ranker", "team_id": "t1",
                    "risk_tier": "limited", "lifecycle_stage": "staging",
                    "created_at": "2025-01-01T00:00:00Z"}],
        # reviewed, next review far off: nothing overdue or due
        "risk_assessments": [{"assessment_id": "r1", "model_id": "m1",
                              "assessed_at": "2025-01-01T00:00:00Z", "risk_tier": "limited",
                              "assessor": "Eve", "outcome": "approved",
                              "next_review_due": "2099-01-01"}],
    })
    at = app(path)
    nothing = [s.value for s in at.success]
    for _, _, _, line, _ in kpi.REVIEW_SECTIONS:
        assert line in nothing
    assert [m.value for m in at.metric] == ["0"] * len(kpi.REVIEW_SECTIONS)
    assert at.markdown[0].value.startswith("**Nothing needs a decision")


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_page_download_has_the_cli_bytes(demo_warehouse, tmp_path, fmt):
    """The page's buttons call review_file(warehouse path, week, effective business units,
    fmt, teams=...) — the CLI's own function; the same arguments give the same file."""
    with reading(demo_warehouse) as con:
        team, unit = con.execute("SELECT team_id, business_unit_id FROM teams ORDER BY 1"
                             " LIMIT 1").fetchone()
    week = last_week()
    scoped = Filter.for_days(*(d.date() for d in weekly.parse_week(week)),
                             business_units=[unit], teams=[team])
    page = review_file(demo_warehouse, week, scoped.effective_business_units, fmt,
                       teams=scoped.teams)
    out = tmp_path / f"review.{fmt}"
    assert cli(["report", "review", "--week", week, "--business-unit", unit, "--team", team,
                "--format", fmt, "--out", str(out), "--warehouse", str(demo_warehouse)]) == 0
    assert out.read_bytes() == page
    with reading(demo_warehouse) as con:
        name = con.execute("SELECT name FROM teams WHERE team_id = ?", [team]).fetchone()[0]
    assert f"Teams: {name}".encode() in page                   # names, not ids


# --- Team -------------------------------------------------------------------------------

def test_team_page_draws_every_section(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/team.py")
    assert titles(at) == ["Team"]
    assert subheaders(at) == ["Team load", "On-call fairness", "Follow-ups",
                              "Quarter over quarter"]
    assert {"Deployments per week", "Change failure rate", "MTTR", "Availability",
            "Cost per 1k requests"} <= {m.label for m in at.metric}
    assert not at.get("plotly_chart")  # the sections open on their tables
    people = table_with(at, "responder")
    assert list(people["pages"]) == sorted(people["pages"], reverse=True)
    assert not at.warning and not at.info
    charts = [json.loads(c.proto.spec) for c in show_charts(at).get("plotly_chart")]
    assert [c["layout"]["title"]["text"].split(" ·")[0] for c in charts] == [
        "Pages per team", "Pages per responder"]


def test_the_night_team_tops_the_out_of_hours_load(app, demo_warehouse):
    # The demo's story (test_demo): the team with the most incidents is paged at night, on
    # a two-person rotation. Over 90 days it has the most out-of-hours pages, and the
    # highest out-of-hours share of the teams with a comparable load.
    with reading(demo_warehouse) as con:
        span = con.execute("SELECT min(paged_at), max(paged_at) FROM oncall_pages").fetchone()
        whole = Filter(span[0], span[1] + (span[1] - span[0]) / 1000)
        night = kpi.team_load(con, whole).sort("out_of_hours_pages", descending=True)
    at = app(demo_warehouse, page="pages/team.py", period="90d")
    load = pl.from_pandas(table_with(at, "out_of_hours_share"))
    top = load.row(0, named=True)
    assert top["team"] == night["team"][0]
    assert top["out_of_hours_share"] > 0.6 and top["responders"] == 2
    comparable = load.filter(pl.col("pages") >= top["pages"] / 2)
    assert top["out_of_hours_share"] == comparable["out_of_hours_share"].max()


def test_team_page_on_an_empty_warehouse_says_why(app, empty_warehouse):
    at = app(empty_warehouse, page="pages/team.py")
    assert titles(at) == ["Team"]
    assert len(at.info) >= 3 and all(i.value.strip() for i in at.info)
    assert not at.get("plotly_chart")


def test_follow_ups_per_owner_add_up_to_follow_ups_per_team(demo_warehouse):
    today = datetime.now(UTC).date()
    window = Filter.for_days(today.replace(day=1), today)
    with reading(demo_warehouse) as con:
        owners = kpi.follow_ups_by_owner(con, window)
        teams = kpi.follow_ups(con, window, by="all")
    for column in ("action_items", "open_action_items", "overdue_action_items",
                   "closed_action_items"):
        assert owners[column].sum() == teams[column][0], column


# --- Releases and Governance ------------------------------------------------------------

def default_filter() -> Filter:
    from datetime import timedelta
    today = datetime.now(UTC).date()
    return Filter.for_days(today - timedelta(days=30), today - timedelta(days=1))


def test_releases_shows_rework_rate_beside_the_four_keys(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/releases.py")
    with reading(demo_warehouse) as con:
        whole = kpi.rework_rate(con, default_filter(), by="all").row(0, named=True)
        per_team = kpi.rework_rate(con, default_filter(), by="team")
    tiles = {m.label: m for m in at.metric}
    assert tiles["Deployment rework rate"].value == f"{whole['rework_rate'] * 100:.2f}%"
    assert tiles["Deployment rework rate"].delta, "with the change against the period before"
    table = pl.from_pandas(table_with(at, "rework_rate"))
    expected = dict(per_team.select("group_name", "rework_rate").iter_rows())
    for team, rate in table.select("group_name", "rework_rate").iter_rows():
        assert rate == pytest.approx(expected[team], nan_ok=True) or (
            rate is None and expected[team] is None)


def test_governance_shows_runbook_health(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/governance.py")
    assert "Runbook health" not in subheaders(at)  # a lazy tab: queried when opened
    at.session_state["governance_section"] = "Runbook health"
    at.run()
    with reading(demo_warehouse) as con:
        health = kpi.runbook_health(con, default_filter(), by="all").row(0, named=True)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["No runbook"] == f"{health['without_runbook']:,}"
    assert tiles["Runbook not reviewed in 180 days"] == f"{health['runbook_stale']:,}"
    assert "Runbook health" in subheaders(at)
    listed = table_with(at, "problem")
    assert len(listed) == health["without_runbook"] + health["runbook_stale"]
    assert set(listed["problem"]) <= {"no runbook", "never reviewed",
                                      "not reviewed in 180 days"}


def test_the_page_shows_the_hand_worked_week(app, tmp_path):
    """The week of tests/test_report_review.py (2026-W20, worked out by hand there) as the
    page draws it: a counter per section with what to act on, each section in its own
    columns, overdue reviews before due ones, the on-call flag, and a share near its target
    with the decimals that tell them apart."""
    from conftest import build_warehouse
    from test_report_review import TABLES

    path = build_warehouse(tmp_path / "wh.duckdb", TABLES)
    at = app(path, week="2026-W20")
    assert not at.exception
    assert titles(at) == ["Week in review · Mon 11 May – Sun 17 May 2026"]
    counters = {m.label.split("](")[0].lstrip("["): m.value for m in at.metric}
    assert counters == {"SLOs missed": "1", "Incidents to follow up": "1",
                        "Failed changes": "1", "Cost or value moves": "1",
                        "People overloaded on call": "1", "Reviews overdue or due": "2",
                        "Overdue follow-ups": "1"}
    assert at.markdown[0].value == "**7 of 7 sections have something to act on.**"
    due = table_with(at, "status")
    assert list(due["status"]) == ["overdue by 17 days", "due in 7 days"]
    oncall = table_with(at, "sleep_hour_pages")
    assert list(oncall["responder"]) == ["Owl"] and list(oncall["sleep_hour_pages"]) == [3]
    slo = next(f for f in at.dataframe if "error_budget_consumed" in f.value.columns)
    config = json.loads(slo.proto.columns)
    assert config["availability"]["label"] == "Availability"
    assert slo.value["availability"][0] == pytest.approx(98.0)      # percent, a number
    assert slo.value["error_budget_change"][0] == pytest.approx(150)  # +150 pp
    moves = table_with(at, "reading")
    assert list(moves["reading"]) == ["better"] and moves["change_share"][0] == 50
