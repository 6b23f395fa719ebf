"""The week in review as data and as a file: sections, hand-worked items, hostile text,
and the CLI and the page's call giving the same bytes."""

from __future__ import annotations

import re
from datetime import date

import pytest

from modelops.cli import main as cli
from modelops.reports import review
from modelops.reports.labels import digits_apart
from modelops.reports.review import review_file
from modelops.warehouse import UsageError, reading
from queries import kpi
from queries.filters import Filter

HOSTILE_MODEL = "<script>alert(1)</script>"
HOSTILE_TEAM = "Search | Ranking"
HOSTILE_TITLE = '=HYPERLINK("http://evil.example","click")'
LATENCY = ("latency_le_5ms", "latency_le_10ms", "latency_le_25ms", "latency_le_50ms",
           "latency_le_100ms", "latency_le_250ms", "latency_le_500ms", "latency_le_1000ms",
           "latency_le_2500ms", "latency_le_5000ms", "latency_le_10000ms")


def hour(model_id, at, requests, errors):
    return {"model_id": model_id, "hour": at, "requests": requests, "errors": errors,
            **dict.fromkeys(LATENCY, requests)}


# ISO week 2026-W20: Monday 2026-05-11 to Sunday 2026-05-17; the week before is W19.
TABLES = {
    "business_units": [{"business_unit_id": "b1", "name": "North"},
                       {"business_unit_id": "b2", "name": "South"}],
    "teams": [{"team_id": "t1", "name": HOSTILE_TEAM, "business_unit_id": "b1"},
              {"team_id": "t2", "name": "Quiet", "business_unit_id": "b2"}],
    "models": [
        {"model_id": "m1", "name": HOSTILE_MODEL, "team_id": "t1", "risk_tier": "limited",
         "lifecycle_stage": "production", "created_at": "2025-01-01T00:00:00Z",
         "slo_availability": 0.99},
        {"model_id": "q1", "name": "Quiet model", "team_id": "t2", "risk_tier": "limited",
         "lifecycle_stage": "staging", "created_at": "2025-01-01T00:00:00Z"},
        {"model_id": "m2", "name": "Late model", "team_id": "t1", "risk_tier": "limited",
         "lifecycle_stage": "staging", "created_at": "2025-01-01T00:00:00Z"},
    ],
    # t1 has no time zone: UTC. Owl: 3 pages between 22:00 and 08:00 (the sleep-hour limit
    # is 3); Day: 2 pages at 10:00, under every limit.
    "oncall_pages": [
        {"page_id": f"p{n}", "incident_id": "i1", "team_id": "t1", "responder": who,
         "paged_at": at}
        for n, (who, at) in enumerate([("Owl", "2026-05-12T23:00:00Z"),
                                       ("Owl", "2026-05-13T02:00:00Z"),
                                       ("Owl", "2026-05-14T07:59:00Z"),
                                       ("Day", "2026-05-12T10:00:00Z"),
                                       ("Day", "2026-05-13T10:00:00Z")])],
    "incidents": [{"incident_id": "i1", "model_id": "m1", "severity": 1,
                   "title": HOSTILE_TITLE, "started_at": "2026-05-12T03:00:00Z",
                   "resolved_at": "2026-05-12T04:00:00Z"}],
    "deployments": [
        {"deployment_id": "d1", "model_id": "m1", "version": "1", "environment": "production",
         "deployed_at": "2026-05-11T10:00:00Z", "outcome": "rolled_back"},
        {"deployment_id": "d2", "model_id": "m1", "version": "2", "environment": "production",
         "deployed_at": "2026-05-12T05:00:00Z", "outcome": "succeeded",
         "remediates_incident_id": "i1"},
        {"deployment_id": "d3", "model_id": "m1", "version": "3", "environment": "production",
         "deployed_at": "2026-05-13T05:00:00Z", "outcome": "succeeded"},
        {"deployment_id": "d4", "model_id": "m1", "version": "4", "environment": "production",
         "deployed_at": "2026-05-14T05:00:00Z", "outcome": "succeeded"},
    ],
    # W19 1000 requests, 5 errors: budget 10 -> 0.5 consumed. W20 1000, 20 -> 2.0.
    "metrics_hourly": [hour("m1", "2026-05-05T00:00:00Z", 1000, 5),
                       hour("m1", "2026-05-12T00:00:00Z", 1000, 20)],
    "costs_daily": [{"model_id": "m1", "day": "2026-05-05", "category": "compute",
                     "amount_usd": 100}, {"model_id": "m1", "day": "2026-05-12",
                                          "category": "compute", "amount_usd": 105},
                    {"model_id": "m1", "day": "2026-05-06", "category": "storage",
                     "amount_usd": 0}],
    "business_value_daily": [{"model_id": "m1", "day": "2026-05-05", "value_usd": 1000},
                             {"model_id": "m1", "day": "2026-05-13", "value_usd": 1500}],
    # m1 due 2026-05-25 (7 days after the week); m2 was due 2026-05-01 (17 days overdue
    # on Monday 2026-05-18); q1 not due for years.
    "risk_assessments": [
        {"assessment_id": f"r{n}", "model_id": m, "assessed_at": "2025-05-20T00:00:00Z",
         "risk_tier": "limited", "assessor": "Eve", "outcome": "approved",
         "next_review_due": due}
        for n, (m, due) in enumerate([("m1", "2026-05-25"), ("m2", "2026-05-01"),
                                      ("q1", "2099-01-01")])],
    "validations": [{"validation_id": "v1", "model_id": "m1", "version": "4",
                     "stage": "post_deployment", "run_at": "2026-05-14T06:00:00Z",
                     "metric": "auc", "value": 0.9, "passed": True}],
    "action_items": [
        {"action_item_id": "a1", "incident_id": "i1", "model_id": "m1", "team_id": "t1",
         "title": "Fix", "owner": "-Mallory | <b>", "priority": 1,
         "created_at": "2026-05-12T05:00:00Z", "due_at": "2026-05-15T00:00:00Z"},
        {"action_item_id": "a2", "incident_id": "i1", "model_id": "m1", "team_id": "t1",
         "title": "Test", "owner": "Ann", "priority": 2,
         "created_at": "2026-05-12T05:00:00Z", "due_at": "2026-05-30T00:00:00Z",
         "closed_at": "2026-05-13T00:00:00Z"},
    ],
}
WEEK = Filter.for_days(date(2026, 5, 11), date(2026, 5, 17))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from conftest import build_warehouse
    return build_warehouse(tmp_path_factory.mktemp("review") / "wh.duckdb", TABLES)


def cells(section) -> list[dict]:
    return [dict(zip((c.name for c in section.columns), i.values, strict=True))
            for i in section.items]


def test_week_in_review_sections_hold_hand_worked_items(warehouse):
    with reading(warehouse) as con:
        sections = {s.name: s for s in kpi.week_in_review(con, WEEK)}
    assert list(sections) == ["slos", "incidents", "changes", "cost_value", "oncall", "due",
                              "follow_ups"]
    # Counts count only what someone must act on (no header rows).
    assert {n: s.count for n, s in sections.items()} == {
        "slos": 1, "incidents": 1, "changes": 1, "cost_value": 1, "oncall": 1, "due": 2,
        "follow_ups": 1}
    (slo,) = cells(sections["slos"])
    assert slo["missed"] == "availability, error budget overspent"   # 98% < 99%
    assert slo["availability"] == pytest.approx(0.98)
    assert slo["error_budget_consumed"] == pytest.approx(2.0)         # 20 of 10 allowed
    assert slo["error_budget_change"] == pytest.approx(1.5)           # W19: 5 of 10
    assert sections["slos"].items[0].link == "/model?id=m1"
    (incident,) = cells(sections["incidents"])
    assert (incident["postmortem"], incident["open_action_items"], incident["action_items"],
            incident["overdue_action_items"]) == ("not yet", 1, 2, 1)  # a1 open past due
    assert sections["incidents"].items[0].link == "/incidents?model=m1"
    (total,) = sections["incidents"].figures
    assert (total.value, total.change) == (1, 1)
    (failed,) = cells(sections["changes"])
    assert (failed["deployment_id"], failed["outcome"]) == ("d1", "rolled back")
    rates = {f.label: f.value for f in sections["changes"].figures}
    assert rates["Failed changes"] == 1
    assert rates["Change failure rate"] == pytest.approx(1 / 4)
    assert rates["Deployment rework rate (fixes for incidents)"] == pytest.approx(1 / 4)
    (move,) = cells(sections["cost_value"])                          # cost +5% is not >10%
    assert (move["measure"], move["this_week"], move["week_before"], move["change_usd"],
            move["reading"]) == ("value up", 1500, 1000, 500, "better")
    assert move["change_share"] == pytest.approx(0.5)
    (owl,) = cells(sections["oncall"])                               # Day: 2 pages, no flag
    assert (owl["responder"], owl["pages"], owl["out_of_hours_pages"],
            owl["sleep_hour_pages"]) == ("Owl", 3, 3, 3)
    assert owl["over"] == "sleep-hour pages ≥ 3"
    overdue, due = cells(sections["due"])                            # overdue first
    assert (overdue["model"], overdue["status"]) == ("Late model", "overdue by 17 days")
    assert (due["model"], due["status"], due["due"]) == (
        HOSTILE_MODEL, "due in 7 days", date(2026, 5, 25))
    (owner,) = cells(sections["follow_ups"])
    assert (owner["owner"], owner["overdue"], owner["overdue_change"], owner["oldest_due"]) == (
        "-Mallory | <b>", 1, 1, date(2026, 5, 15))


def test_an_empty_section_says_so_in_one_line(warehouse):
    with reading(warehouse) as con:
        sections = kpi.week_in_review(con, Filter.for_days(date(2026, 5, 11),
                                                           date(2026, 5, 17),
                                                           business_units=("b2",)))
    assert all(not s.items for s in sections)
    text = review_file(warehouse, "2026-W20", ["b2"], "md").decode()
    assert "No new sev 1-2 incident." in text
    assert "No follow-up is overdue." in text
    assert "|" not in text
    assert "- [SLOs missed](#slos-missed): 0 SLOs missed" in text


def test_markdown_escapes_hostile_text(warehouse):
    text = review_file(warehouse, "2026-W20", (), "md", base="").decode()
    assert text.startswith("# Week in review 2026-W20 · Mon 11 May – Sun 17 May 2026\n")
    assert "<script>" not in text and "\\<script\\>" in text
    assert "Search \\| Ranking" in text
    # every row of a table has its header's cells: no unescaped pipe inside a cell
    table = []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            table.append(len(re.findall(r"(?<!\\)\|", line)))
        elif table:
            assert len(set(table)) == 1, table
            table = []
    # no spreadsheet formula guard in a file for people
    assert "| -Mallory \\| \\<b\\> | 1 | +1 | 2026-05-15 |" in text
    assert "'-Mallory" not in text and "'=HYPERLINK" not in text
    assert "| =HYPERLINK(\"http\\://evil.example\",\"click\") |" in text  # no autolink


def test_html_is_self_contained_and_escaped(warehouse):
    text = review_file(warehouse, "2026-W20", (), "html", base="").decode()
    assert text.startswith("<!DOCTYPE html>")
    assert "<title>Week in review 2026-W20 · Mon 11 May – Sun 17 May 2026</title>" in text
    assert "<script" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>" not in text and "&lt;b&gt;" in text
    assert "<td>-Mallory | &lt;b&gt;</td>" in text
    for external in ("src=", "<link", "@import", "url("):
        assert external not in text
    assert "Search | Ranking" in text


def test_links_are_absolute_from_the_setting(warehouse, monkeypatch):
    monkeypatch.setenv("MODELOPS_BASE_URL", "https://ops.example.com/")
    md = review_file(warehouse, "2026-W20", ["b1"], "md").decode()
    assert ("[open](https://ops.example.com/model?id=m1&period=custom&start=2026-05-11"
            "&end=2026-05-17&bu=b1)") in md
    html_text = review_file(warehouse, "2026-W20", ["b1"], "html").decode()
    assert ('<a href="https://ops.example.com/incidents?model=m1&amp;period=custom'
            '&amp;start=2026-05-11&amp;end=2026-05-17&amp;bu=b1">open</a>') in html_text
    assert "Business units: North · Teams: all" in md               # names, not ids
    monkeypatch.setenv("MODELOPS_BASE_URL", "javascript:alert(1)")
    with pytest.raises(UsageError, match="MODELOPS_BASE_URL must be an http"):
        review_file(warehouse, "2026-W20", ["b1"], "md")
    monkeypatch.delenv("MODELOPS_BASE_URL")
    md = review_file(warehouse, "2026-W20", ["b1"], "md").decode()
    assert "](" not in md.split("## SLOs missed")[1] and "| /model |" in md


def test_the_file_name_carries_week_and_scope():
    assert review.file_name("2026-w20", ["b1"], ["t/1"], "md") == \
        "modelops-review-2026-W20-b1-t_1.md"
    assert review.file_name("2026-W20", (), (), "html") == "modelops-review-2026-W20-all.html"


def test_near_a_target_rounding_never_reads_as_equal():
    assert digits_apart(0.99496, 0.995, 2, 100) == 3              # 99.496% vs 99.50%
    assert digits_apart(200.5, 200, 0) == 1                       # 200.5 ms vs 200 ms
    assert digits_apart(0.99, 0.995, 2, 100) == 2
    assert digits_apart(0.995, 0.995, 2, 100) == 2


def test_cli_and_page_call_give_identical_bytes(warehouse, tmp_path, capsysbinary):
    for fmt in ("md", "html"):
        out = tmp_path / f"review.{fmt}"
        assert cli(["report", "review", "--week", "2026-W20", "--business-unit", "b1",
                    "--format", fmt, "--out", str(out), "--warehouse", str(warehouse)]) == 0
        with reading(warehouse) as con:       # the page passes its open cursor
            assert out.read_bytes() == review_file(con, "2026-w20", ["b1"], fmt)
    assert cli(["report", "review", "--week", "2026-W20", "--warehouse",
                str(warehouse)]) == 0
    assert capsysbinary.readouterr().out == review_file(warehouse, "2026-W20")


def test_bad_arguments_are_usage_errors(warehouse):
    with pytest.raises(UsageError, match="unknown business unit id: nope"):
        review_file(warehouse, "2026-W20", ["nope"])
    with pytest.raises(UsageError, match="not an ISO week"):
        review_file(warehouse, "last week")
    with pytest.raises(UsageError, match="format must be one of md, html"):
        review_file(warehouse, "2026-W20", (), "pdf")


def test_review_out_follows_no_planted_link_and_is_never_the_warehouse(warehouse, tmp_path,
                                                                       capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / ".review.md.partial").symlink_to(victim)
    out = tmp_path / "review.md"
    assert cli(["report", "review", "--week", "2026-W20", "--out", str(out),
                "--warehouse", str(warehouse)]) == 0
    assert victim.read_text() == "precious"
    assert out.read_bytes() == review_file(warehouse, "2026-W20")
    before = warehouse.read_bytes()
    capsys.readouterr()
    assert cli(["report", "review", "--week", "2026-W20", "--out", str(warehouse),
                "--warehouse", str(warehouse)]) == 2
    assert capsys.readouterr().err == (f"modelops report: {warehouse}: this is the warehouse; "
                                       "choose another output file\n")
    assert warehouse.read_bytes() == before


def test_markdown_makes_no_autolink_of_urls_addresses_or_www_names(tmp_path):
    """GitHub's own renderer (cmark-gfm) turns bare URLs, www. names and e-mail addresses
    into links (the autolink extension); the review's Markdown must not let it."""
    import cmarkgfm
    from conftest import build_warehouse

    bait = "see https://evil.example/x, WWW.evil.example and bob.ops@evil.example now"
    tables = {**TABLES,
              "incidents": [{**TABLES["incidents"][0], "title": bait}],
              "teams": [{**TABLES["teams"][0], "name": "mailto:eve@evil.example"},
                        TABLES["teams"][1]]}
    warehouse = build_warehouse(tmp_path / "wh.duckdb", tables)
    text = review_file(warehouse, "2026-W20", (), "md").decode()
    rendered = cmarkgfm.github_flavored_markdown_to_html(text)
    # the only links are the file's own: its summary's anchors to its sections
    hrefs = re.findall(r'href="([^"]*)"', rendered)
    assert hrefs and all(h.startswith("#") for h in hrefs), hrefs
    assert rendered.count("<a ") == len(hrefs) == 7
    # what a reader sees is the text as written (and a word joiner after each @)
    shown = rendered.replace("\u2060", "")
    assert "see https://evil.example/x, WWW.evil.example and bob.ops@evil.example now" in shown
    # the same renderer does link the unescaped text: the test can fail
    assert "<a href" in cmarkgfm.github_flavored_markdown_to_html(bait)
