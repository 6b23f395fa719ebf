"""The week in review as data and as a file: sections, hand-worked items, hostile text,
and the CLI and the page's call giving the same bytes."""

from __future__ import annotations

import re
from datetime import date

import pytest

from modelops.cli import main as cli
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
    ],
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
    "risk_assessments": [{"assessment_id": "r1", "model_id": "m1",
                          "assessed_at": "2025-05-20T00:00:00Z", "risk_tier": "limited",
                          "assessor": "Eve", "outcome": "approved",
                          "next_review_due": "2026-05-25"}],
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


def test_week_in_review_sections_hold_hand_worked_items(warehouse):
    with reading(warehouse) as con:
        sections = {s.name: s for s in kpi.week_in_review(con, WEEK)}
    assert list(sections) == ["slos", "incidents", "changes", "cost_value", "due",
                              "follow_ups"]
    (slo,) = sections["slos"].items
    assert (slo.key, slo.page, slo.unit) == ("slo:m1", "/reliability", "ratio")
    assert slo.number == pytest.approx(2.0) and slo.change == pytest.approx(1.5)
    count, one = sections["incidents"].items
    assert (count.number, count.change) == (1, 1)
    assert one.key == "incident:i1" and one.number == 1          # a1 open, a2 closed
    changes = {i.key: i for i in sections["changes"].items}
    assert changes["changes:failed"].number == 1                 # d1 rolled back
    assert changes["changes:change_failure_rate"].number == pytest.approx(1 / 4)
    assert changes["changes:rework_rate"].number == pytest.approx(1 / 4)   # d2 fixes i1
    assert "deployment:d1" in changes
    moves = {i.key: i for i in sections["cost_value"].items}
    assert set(moves) == {"value:t1"}                            # cost +5% is not >10%
    assert moves["value:t1"].change == pytest.approx(500)
    (due,) = sections["due"].items                               # review due 2026-05-25
    assert (due.key, due.number) == ("review:m1", 7)
    (owner,) = sections["follow_ups"].items
    assert (owner.key, owner.number, owner.change, owner.page) == (
        "owner:-Mallory | <b>", 1, 1, "/team")
    frame = kpi.week_in_review_frame(list(sections.values()))
    assert frame.columns == ["section", "title", "key", "text", "number", "change", "unit",
                             "page"]


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


def test_markdown_escapes_hostile_text(warehouse):
    text = review_file(warehouse, "2026-W20", (), "md").decode()
    assert "<script>" not in text and "\\<script\\>" in text
    assert "Search \\| Ranking" in text
    # every table row keeps exactly its four cells: no unescaped pipe inside a cell
    for line in text.splitlines():
        if line.startswith("| "):
            assert len(re.findall(r"(?<!\\)\|", line)) == 5, line
    assert "| '-Mallory \\| \\<b\\>: overdue follow-ups" in text    # formula-like start
    assert "i1 sev 1 on \\<script\\>alert(1)\\</script\\>: =HYPERLINK" in text


def test_html_is_self_contained_and_escaped(warehouse):
    text = review_file(warehouse, "2026-W20", (), "html").decode()
    assert text.startswith("<!DOCTYPE html>")
    assert "<script" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>" not in text and "&lt;b&gt;" in text
    assert "<td>&#x27;-Mallory | &lt;b&gt;: overdue" in text
    for external in ("src=", "href=", "<link", "@import", "url("):
        assert external not in text
    assert "Search | Ranking" in text


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
    assert "<a " not in rendered and "href" not in rendered
    # what a reader sees is the text as written (and a word joiner after each @)
    shown = rendered.replace("\u2060", "")
    assert "see https://evil.example/x, WWW.evil.example and bob.ops@evil.example now" in shown
    # the same renderer does link the unescaped text: the test can fail
    assert "<a href" in cmarkgfm.github_flavored_markdown_to_html(bait)
