"""The weekly operations review's KPIs: team and responder load, follow-ups, rework rate,
runbook health and quarter-over-quarter trends, against numbers worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from modelops.warehouse import reading
from queries import kpi
from queries.filters import Filter

LATENCY = ("latency_le_5ms", "latency_le_10ms", "latency_le_25ms", "latency_le_50ms",
           "latency_le_100ms", "latency_le_250ms", "latency_le_500ms", "latency_le_1000ms",
           "latency_le_2500ms", "latency_le_5000ms", "latency_le_10000ms")


def model(model_id, team_id, stage="production", runbook=None, reviewed=None):
    return {"model_id": model_id, "name": model_id.upper(), "team_id": team_id,
            "risk_tier": "limited", "lifecycle_stage": stage,
            "created_at": "2025-01-01T00:00:00Z", "runbook_url": runbook,
            "runbook_reviewed_at": reviewed}


def incident(incident_id, model_id, started, severity=3, resolved=None, postmortem=None,
             deployment_id=None):
    return {"incident_id": incident_id, "model_id": model_id, "severity": severity,
            "title": incident_id, "started_at": started, "resolved_at": resolved,
            "postmortem_url": postmortem, "deployment_id": deployment_id}


def page(page_id, incident_id, responder, paged, ack_minutes=None, team_id="t1"):
    from datetime import datetime, timedelta
    ack = None
    if ack_minutes is not None:
        ack = (datetime.fromisoformat(paged) + timedelta(minutes=ack_minutes)).isoformat()
    return {"page_id": page_id, "incident_id": incident_id, "team_id": team_id,
            "responder": responder, "paged_at": paged, "acknowledged_at": ack}


def item(item_id, created, due=None, closed=None, incident_id=None, team_id="t1",
         owner="Ann", model_id=None):
    return {"action_item_id": item_id, "incident_id": incident_id, "model_id": model_id,
            "team_id": team_id, "title": item_id, "owner": owner, "priority": 2,
            "created_at": created, "due_at": due, "closed_at": closed}


def deployment(deployment_id, model_id, deployed, environment="production",
               remediates=None, outcome="succeeded", committed=None):
    return {"deployment_id": deployment_id, "model_id": model_id, "version": deployment_id,
            "environment": environment, "deployed_at": deployed, "outcome": outcome,
            "remediates_incident_id": remediates, "committed_at": committed}


ORG = {
    "business_units": [{"business_unit_id": "b1", "name": "North"}],
    "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "b1",
               "time_zone": "Europe/Berlin"},
              {"team_id": "t2", "name": "Ads", "business_unit_id": "b1"}],   # UTC
    "models": [
        model("a", "t1", runbook="https://rb/a", reviewed="2026-03-01T00:00:00Z"),  # healthy
        model("b", "t1", runbook="https://rb/b", reviewed="2025-10-01T00:00:00Z"),  # stale
        model("c", "t1"),                                                        # no runbook
        model("d", "t1", runbook="https://rb/d"),                   # never reviewed: stale
        model("e", "t1", stage="staging"),                          # not in production
        model("z", "t2", runbook="https://rb/z", reviewed="2026-05-01T00:00:00Z"),
    ],
    "incidents": [
        incident("a1", "a", "2026-05-04T04:55:00Z", severity=1, postmortem="https://pm/a1"),
        incident("a2", "a", "2026-05-05T16:00:00Z", severity=2),
        incident("a3", "a", "2026-05-06T10:00:00Z"),
        incident("b1", "b", "2026-05-12T21:50:00Z"),
        incident("b2", "b", "2026-05-13T10:00:00Z"),
        incident("c1", "c", "2026-05-12T09:50:00Z"),
        incident("d1", "d", "2026-05-14T00:00:00Z"),
        incident("d0", "d", "2026-04-20T00:00:00Z"),    # before the window
        incident("z1", "z", "2026-05-06T06:50:00Z"),
    ],
    "oncall_pages": [
        # Berlin is UTC+2 in May: 05:00Z is 07:00 there (out of hours), 06:30Z is 08:30.
        page("p1", "a1", "Ann", "2026-05-04T05:00:00", 4),     # week 19, out of hours
        page("p2", "a1", "Bob", "2026-05-04T06:30:00", 10),    # week 19, in hours
        page("p3", "a2", "Ann", "2026-05-05T16:30:00", 6),     # 18:30: out of hours
        page("p4", "b1", "Ann", "2026-05-12T22:00:00"),        # week 20, 00:00, never acked
        page("p5", "c1", "Bob", "2026-05-12T10:00:00", 2),     # week 20, 12:00
        page("p6", "d1", "Ann", "2026-05-18T01:00:00", 1),     # after the window
        page("q1", "z1", "Zed", "2026-05-06T07:00:00", 20, team_id="t2"),  # 07:00 UTC
    ],
    "action_items": [
        item("f1", "2026-05-04T00:00:00Z", "2026-05-10T00:00:00Z", "2026-05-08T00:00:00Z", "a1"),
        item("f2", "2026-05-04T00:00:00Z", "2026-05-11T00:00:00Z", None, "a1", owner="Bob"),
        item("f3", "2026-05-05T00:00:00Z", "2026-06-01T00:00:00Z", "2026-05-15T00:00:00Z", "a2"),
        item("f4", "2026-04-01T00:00:00Z", "2026-04-20T00:00:00Z", "2026-05-06T00:00:00Z"),
        item("f5", "2026-05-20T00:00:00Z", "2026-05-21T00:00:00Z"),          # after the end
        item("f6", "2026-04-01T00:00:00Z", None, "2026-04-10T00:00:00Z"),    # closed before
        item("f7", "2026-05-01T00:00:00Z"),                                  # open, no due
        item("g1", "2026-05-02T00:00:00Z", "2026-05-03T00:00:00Z", None, team_id="t2",
             owner="Zed"),
    ],
    "deployments": [
        deployment("r1", "a", "2026-05-05T00:00:00Z"),
        deployment("r2", "a", "2026-05-06T00:00:00Z", remediates="a1"),
        deployment("r3", "a", "2026-05-06T01:00:00Z", environment="staging", remediates="a2"),
        deployment("r4", "a", "2026-05-12T00:00:00Z", remediates="a2", outcome="failed"),
        deployment("r5", "a", "2026-04-30T00:00:00Z", remediates="d0"),   # before
    ],
}
# Two ISO weeks, 19 and 20: Monday 2026-05-04 to Sunday 2026-05-17.
WINDOW = Filter.for_days(date(2026, 5, 4), date(2026, 5, 17))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from conftest import build_warehouse
    return build_warehouse(tmp_path_factory.mktemp("review") / "wh.duckdb", ORG)


def by(frame, key):
    return {r[key]: r for r in frame.iter_rows(named=True)}


def test_team_load_counts_pages_out_of_hours_in_the_team_zone(warehouse):
    with reading(warehouse) as con:
        teams = by(kpi.team_load(con, WINDOW), "team_id")
    search = teams["t1"]
    assert search["time_zone"] == "Europe/Berlin"
    assert search["pages"] == 5                      # p1..p5; p6 is after the window
    assert search["out_of_hours_pages"] == 3         # p1 07:00, p3 18:30, p4 00:00 local
    assert search["out_of_hours_share"] == pytest.approx(0.6)
    assert search["sev1_sev2_pages"] == 3            # p1, p2 (a1), p3 (a2)
    assert search["acknowledged_pages"] == 4
    assert search["median_minutes_to_acknowledge"] == pytest.approx(5)   # 2, 4, 6, 10
    assert search["responders"] == 2
    assert search["oncall_weeks"] == 4               # Ann and Bob, each in weeks 19 and 20
    assert search["pages_per_oncall_week"] == pytest.approx(5 / 4)
    # incidents: a 3, b 2, c 1, d 1 -> top three models hold 6 of 7
    assert (search["incidents"], search["top3_model_incidents"]) == (7, 6)
    assert search["top3_model_share"] == pytest.approx(6 / 7)
    ads = teams["t2"]
    assert (ads["time_zone"], ads["pages"], ads["out_of_hours_pages"]) == ("UTC", 1, 1)
    assert ads["median_minutes_to_acknowledge"] == pytest.approx(20)
    assert ads["top3_model_share"] == pytest.approx(1.0)


def test_responder_load_per_person(warehouse):
    with reading(warehouse) as con:
        people = by(kpi.responder_load(con, WINDOW), "responder")
    ann, bob = people["Ann"], people["Bob"]
    assert (ann["pages"], ann["out_of_hours_pages"], ann["sev1_sev2_pages"]) == (3, 3, 2)
    assert ann["median_minutes_to_acknowledge"] == pytest.approx(5)     # 4 and 6
    assert (ann["oncall_weeks"], ann["pages_per_oncall_week"]) == (2, 1.5)
    assert (bob["pages"], bob["out_of_hours_pages"], bob["sev1_sev2_pages"]) == (2, 0, 1)
    assert bob["median_minutes_to_acknowledge"] == pytest.approx(6)     # 2 and 10
    assert (bob["oncall_weeks"], bob["pages_per_oncall_week"]) == (2, 1.0)


def test_follow_ups_open_overdue_closed_and_postmortem_shares(warehouse):
    with reading(warehouse) as con:
        teams = by(kpi.follow_ups(con, WINDOW, by="team"), "group_id")
        overdue = kpi.overdue_action_items(con, WINDOW)
        scoped = kpi.follow_ups(con, Filter.for_days(date(2026, 5, 4), date(2026, 5, 17),
                                                     teams=("t2",)), by="all")
    search = teams["t1"]
    assert search["action_items"] == 6               # f5 is created after the end
    assert search["open_action_items"] == 2          # f2, f7
    assert search["overdue_action_items"] == 1       # f2 (f7 has no due date)
    assert search["closed_action_items"] == 3        # f1 4 days, f3 10, f4 35
    assert search["median_days_to_close"] == pytest.approx(10)
    assert search["sev1_sev2_incidents"] == 2        # a1, a2
    assert search["with_postmortem"] == 1
    assert search["postmortem_share"] == pytest.approx(0.5)
    # a1: f2 still open -> no; a2: f3 closed in 10 days -> yes
    assert search["follow_ups_closed_30d"] == 1
    assert search["follow_ups_closed_30d_share"] == pytest.approx(0.5)
    assert teams["t2"]["overdue_action_items"] == 1
    assert teams["t2"]["postmortem_share"] is None   # no sev 1-2 incident: undefined
    assert overdue["action_item_id"].to_list() == ["g1", "f2"]
    assert overdue["owner"].to_list() == ["Zed", "Bob"]
    assert overdue["days_overdue"].to_list() == pytest.approx([15, 7])
    assert scoped.row(0, named=True)["open_action_items"] == 1   # only t2's g1


def test_rework_rate_counts_production_remediations(warehouse):
    with reading(warehouse) as con:
        teams = by(kpi.rework_rate(con, WINDOW, by="team"), "group_id")
    # production in the window: r1, r2 (fixes a1), r4 (fixes a2); r3 is staging, r5 earlier
    assert (teams["t1"]["deployments"], teams["t1"]["rework_deployments"]) == (3, 2)
    assert teams["t1"]["rework_rate"] == pytest.approx(2 / 3)
    assert (teams["t2"]["deployments"], teams["t2"]["rework_rate"]) == (0, None)


def test_runbook_health_flags_missing_and_stale_runbooks(warehouse):
    with reading(warehouse) as con:
        teams = by(kpi.runbook_health(con, WINDOW, by="team"), "group_id")
        models = by(kpi.runbook_health(con, WINDOW, by="model"), "group_id")
    search = teams["t1"]
    # a reviewed 78 days before the end; b 229 days; c none; d never reviewed; e staging
    assert (search["production_models"], search["without_runbook"], search["runbook_stale"],
            search["healthy"]) == (4, 1, 2, 1)
    assert (teams["t2"]["healthy"], teams["t2"]["runbook_stale"]) == (1, 0)
    assert models["b"]["runbook_stale"] == 1 and models["c"]["without_runbook"] == 1
    assert "e" not in models


TRENDS = {
    "business_units": ORG["business_units"], "teams": ORG["teams"][:1],
    "models": [model("a", "t1")],
    "incidents": [
        incident("q1", "a", "2026-02-01T00:00:00Z", resolved="2026-02-01T01:00:00Z"),   # 60
        incident("q2", "a", "2026-04-05T00:00:00Z", resolved="2026-04-05T00:30:00Z"),   # 30
        incident("q3", "a", "2026-05-05T00:00:00Z", resolved="2026-05-05T00:50:00Z"),   # 50
    ],
    "deployments": [
        deployment("d1", "a", "2026-01-10T01:00:00Z", committed="2026-01-10T00:00:00Z"),
        deployment("d2", "a", "2026-02-10T00:00:00Z", outcome="failed"),
        deployment("d3", "a", "2026-04-10T02:00:00Z", committed="2026-04-10T00:00:00Z"),
        deployment("d4", "a", "2026-04-20T00:30:00Z", committed="2026-04-20T00:00:00Z"),
        deployment("d5", "a", "2026-05-01T00:00:00Z", outcome="rolled_back"),
    ],
    "metrics_hourly": [
        {"model_id": "a", "hour": hour, "requests": 1000, "errors": errors,
         **dict.fromkeys(LATENCY, 1000)}
        for hour, errors in (("2026-02-01T00:00:00Z", 10), ("2026-04-01T00:00:00Z", 1))
    ],
    "costs_daily": [{"model_id": "a", "day": "2026-02-01", "category": "compute",
                     "amount_usd": 10}, {"model_id": "a", "day": "2026-04-01",
                                         "category": "compute", "amount_usd": 5}],
}


def test_quarterly_trends_with_the_change_against_the_quarter_before(make_warehouse):
    path = make_warehouse(TRENDS)
    window = Filter.for_days(date(2026, 4, 1), date(2026, 5, 17))   # Q2 to date: 47 days
    with reading(path) as con:
        frame = kpi.quarterly_trends(con, window, by="all")
    assert frame["quarter"].to_list() == ["2026-Q2"]    # Q1 is read for the change only
    q2 = frame.row(0, named=True)
    assert q2["days"] == pytest.approx(47)
    assert q2["deployments"] == 3
    assert q2["deployments_per_week"] == pytest.approx(3 / 47 * 7)
    assert q2["deployments_per_week_change"] == pytest.approx(3 / 47 * 7 - 2 / 90 * 7)
    assert q2["lead_time_median_minutes"] == pytest.approx(75)             # 120, 30
    assert q2["lead_time_median_minutes_change"] == pytest.approx(15)      # Q1: 60
    assert q2["change_failure_rate"] == pytest.approx(1 / 3)
    assert q2["change_failure_rate_change"] == pytest.approx(1 / 3 - 1 / 2)
    assert q2["mttr_minutes"] == pytest.approx(40)
    assert q2["mttr_minutes_change"] == pytest.approx(-20)
    assert q2["availability"] == pytest.approx(0.999)
    assert q2["availability_change"] == pytest.approx(0.009)
    assert q2["cost_per_1k_requests"] == pytest.approx(5)
    assert q2["cost_per_1k_requests_change"] == pytest.approx(-5)
