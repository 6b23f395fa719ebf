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

from modelops.cli import main as cli
from modelops.reports import weekly
from modelops.reports.review import review_file
from modelops.warehouse import reading
from queries import kpi
from queries.filters import Filter

SECTIONS = [title for _, title, _ in kpi.REVIEW_SECTIONS]


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
    assert titles(at) == ["Week in review"]
    assert at.selectbox(key="review_week").value == last_week()
    heads = subheaders(at)
    for title in SECTIONS:
        assert any(h.startswith(title) for h in heads), (title, heads)
    assert any(h == "The review as a file" for h in heads)
    # each item links to its page with the filters and the reviewed week in the URL
    items = [f for f in at.dataframe if "open" in f.value.columns]
    assert items, "the demo's last week has something to review"
    url = items[0].value["open"][0]
    path, query = urlsplit(url).path, parse_qs(urlsplit(url).query)
    assert path.startswith("/") and query["period"] == ["custom"]
    start, _ = weekly.parse_week(last_week())
    assert query["start"] == [start.date().isoformat()]
    assert len(at.get("download_button")) == 2
    assert not at.warning


def test_the_week_follows_a_custom_period_and_a_link_picks_one(app, demo_warehouse):
    from datetime import timedelta
    today = datetime.now(UTC).date()
    # A custom period ending on a Wednesday: the last full week before it.
    wednesday = today - timedelta(days=today.weekday() + 26)
    at = app(demo_warehouse, period="custom", start=(wednesday - timedelta(days=20)).isoformat(),
             end=wednesday.isoformat())
    monday = wednesday - timedelta(days=wednesday.weekday() + 7)
    year, week, _ = monday.isocalendar()
    assert at.selectbox(key="review_week").value == f"{year}-W{week:02d}"
    # ?week= opens that week; another week picked goes into the URL.
    picked = weekly.last_complete_week(datetime.now(UTC) - timedelta(weeks=3))
    at = app(demo_warehouse, week=picked.lower())
    assert at.selectbox(key="review_week").value == picked
    at.selectbox(key="review_week").set_value(last_week()).run()
    assert "week" not in at.query_params, "the default week stays out of the URL"
    at.selectbox(key="review_week").set_value(picked).run()
    assert at.query_params["week"] in (picked, [picked])


def test_week_in_review_links_keep_the_filter_bar_choices(app, demo_warehouse):
    with reading(demo_warehouse) as con:
        unit = con.execute("SELECT business_unit_id FROM models JOIN teams USING (team_id)"
                       " GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    at = app(demo_warehouse, bu=unit)
    links = [u for f in at.dataframe if "open" in f.value.columns for u in f.value["open"]]
    assert links and all(parse_qs(urlsplit(u).query)["bu"] == [unit] for u in links)


def test_overdue_follow_ups_story_shows_in_the_overdue_section(app, demo_warehouse):
    # The demo's story: one model's postmortem follow-ups are never closed.
    with reading(demo_warehouse) as con:
        items = con.sql("SELECT model_id, m.name AS model, count(*) AS n,"
                        " count(closed_at) AS closed FROM action_items a"
                        " JOIN models m USING (model_id) GROUP BY ALL").pl()
    story = items.filter(pl.col("closed") == 0).sort("n", descending=True).row(0, named=True)
    assert story["n"] >= 3
    at = app(demo_warehouse)
    overdue = table_with(at, "owner")
    assert story["model"] in set(overdue["model"]), overdue
    owners = [f.value for f in at.dataframe if "what" in f.value.columns
              and f.value["what"].str.contains("overdue follow-ups").any()]
    assert owners, "owners with overdue follow-ups are listed"


def test_week_in_review_on_an_empty_warehouse_says_why(app, empty_warehouse):
    at = app(empty_warehouse)
    assert titles(at) == ["Week in review"]
    assert at.info and "no models" in at.info[0].value
    assert not at.exception


def test_an_empty_section_says_so_in_one_line(app, make_warehouse):
    path = make_warehouse({
        "business_units": [{"business_unit_id": "b1", "name": "North"}],
        "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "b1"}],
        "models": [{"model_id": "m1", "name": "Ranker", "team_id": "t1",
                    "risk_tier": "limited", "lifecycle_stage": "staging",
                    "created_at": "2025-01-01T00:00:00Z"}],
    })
    at = app(path)
    nothing = [s.value for s in at.success]
    for _, _, line in kpi.REVIEW_SECTIONS:
        assert line in nothing
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
    assert f"teams: {team}".encode() in page


# --- Team -------------------------------------------------------------------------------

def test_team_page_draws_every_section(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/team.py")
    assert titles(at) == ["Team"]
    assert subheaders(at) == ["Team load", "On-call fairness", "Follow-ups",
                              "Quarter over quarter"]
    assert {"Deployments per week", "Change failure rate", "MTTR", "Availability",
            "Cost per 1k requests"} <= {m.label for m in at.metric}
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert [c["layout"]["title"]["text"].split(" ·")[0] for c in charts] == [
        "Pages per team", "Pages per responder"]
    people = table_with(at, "responder")
    assert list(people["pages"]) == sorted(people["pages"], reverse=True)
    assert not at.warning and not at.info


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
