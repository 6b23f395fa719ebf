"""Incident KPIs: counts by started_at, MTTD / MTTA / MTTR, open incidents at a moment."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from modelops.warehouse import reading
from queries import kpi
from queries.filters import Filter

ORG = {
    "business_units": [{"business_unit_id": "b1", "name": "North"},
                       {"business_unit_id": "b2", "name": "South"}],
    "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "b1"},
              {"team_id": "t3", "name": "Fraud", "business_unit_id": "b2"}],
    "models": [
        {"model_id": m, "name": m.upper(), "team_id": t, "risk_tier": "limited",
         "lifecycle_stage": "production", "created_at": "2025-01-01T00:00:00"}
        for m, t in (("a", "t1"), ("d", "t3"))
    ],
}
FEB = Filter.for_days(date(2026, 2, 1), date(2026, 2, 28))


def incident(incident_id, model_id, severity, started, detected=None, acknowledged=None,
             resolved=None, root_cause=None, **extra):
    return {"incident_id": incident_id, "model_id": model_id, "severity": severity,
            "title": f"incident {incident_id}", "started_at": started,
            "detected_at": detected, "acknowledged_at": acknowledged, "resolved_at": resolved,
            "root_cause": root_cause, **extra}


FEBRUARY_INCIDENTS = [
    incident("i1", "a", 1, "2026-02-03T10:00:00", "2026-02-03T10:05:00", "2026-02-03T10:10:00",
             "2026-02-03T11:00:00", "deployment"),          # detect 5, ack 5, resolve 60
    incident("i2", "a", 2, "2026-02-04T12:00:00", "2026-02-04T12:15:00", "2026-02-04T12:45:00",
             "2026-02-04T15:00:00", "infrastructure"),      # detect 15, ack 30, resolve 180
    incident("i3", "a", 3, "2026-02-05T08:00:00"),          # still open, never detected
    incident("i4", "d", 4, "2026-02-10T00:00:00", resolved="2026-02-11T00:00:00"),  # 1,440
]


def test_mttx_per_team_and_mttr_ignores_open_incidents(make_warehouse):
    path = make_warehouse({**ORG, "incidents": FEBRUARY_INCIDENTS})
    with reading(path) as con:
        teams = {r["group_id"]: r for r in
                 kpi.incident_summary(con, FEB, by="team").iter_rows(named=True)}
        everything = kpi.incident_summary(con, FEB, by="all").row(0, named=True)
        tiles = kpi.kpi_tiles(con, FEB).row(0, named=True)

    search = teams["t1"]
    assert search["incidents"] == 3
    assert (search["sev1_incidents"], search["sev2_incidents"], search["sev3_incidents"],
            search["sev4_incidents"], search["sev1_sev2_incidents"]) == (1, 1, 1, 0, 2)
    assert search["detected_incidents"] == 2
    assert search["mttd_minutes"] == pytest.approx((5 + 15) / 2)
    assert search["acknowledged_incidents"] == 2
    assert search["mtta_minutes"] == pytest.approx((5 + 30) / 2)
    # the open incident i3 gets no made-up resolution time
    assert search["resolved_incidents"] == 2
    assert search["mttr_minutes"] == pytest.approx((60 + 180) / 2)
    assert search["open_at_end"] == 1

    assert teams["t3"]["incidents"] == 1
    assert teams["t3"]["mttd_minutes"] is None
    assert teams["t3"]["mttr_minutes"] == pytest.approx(1440)

    assert everything["incidents"] == 4
    assert everything["mttr_minutes"] == pytest.approx((60 + 180 + 1440) / 3)
    assert tiles["incidents"] == 4
    assert tiles["sev1_sev2_incidents"] == 2
    assert tiles["mttr_minutes"] == pytest.approx((60 + 180 + 1440) / 3)


def test_counts_go_by_start_and_mttr_by_resolution(make_warehouse):
    path = make_warehouse({**ORG, "incidents": [
        # started in January, resolved in February: in February's MTTR, not its count
        incident("j1", "a", 2, "2026-01-31T20:00:00", resolved="2026-02-01T06:00:00"),  # 600
        # started in February, resolved in March: in February's count, not its MTTR
        incident("j2", "a", 2, "2026-02-28T23:00:00", resolved="2026-03-01T01:00:00"),
        incident("j3", "a", 3, "2026-02-10T00:00:00", resolved="2026-02-10T01:00:00"),  # 60
    ]})
    with reading(path) as con:
        feb = kpi.incident_summary(con, FEB, by="model").filter(group_id="a").row(0, named=True)
        log = kpi.incident_log(con, FEB)
    assert feb["incidents"] == 2
    assert feb["resolved_incidents"] == 2
    assert feb["mttr_minutes"] == pytest.approx((600 + 60) / 2)
    assert feb["open_at_end"] == 1
    assert log["incident_id"].to_list() == ["j2", "j3"]      # newest first, started in Feb
    assert log["time_to_resolve_minutes"].to_list() == pytest.approx([120, 60])


def test_open_incidents_at_a_moment_with_age(make_warehouse):
    path = make_warehouse({**ORG, "incidents": [
        incident("o1", "a", 2, "2026-01-10T08:00:00", detected="2026-01-10T08:10:00",
                 acknowledged="2026-01-10T13:00:00"),                 # open, ack later
        incident("o2", "a", 1, "2026-01-09T00:00:00", resolved="2026-01-10T13:00:00"),
        incident("o3", "a", 2, "2026-01-10T09:00:00", resolved="2026-01-10T11:00:00"),
        incident("o4", "a", 2, "2026-01-10T12:00:00"),                # starts at the moment
        incident("o5", "a", 3, "2026-01-10T10:00:00", resolved="2026-01-10T12:00:00"),
        incident("o6", "d", 1, "2026-01-10T07:00:00"),                # out of scope
    ]})
    at = datetime(2026, 1, 10, 12)
    scope = Filter.for_days(date(2026, 1, 1), date(2026, 1, 31), teams=("t1",))
    with reading(path) as con:
        rows = kpi.open_incidents(con, scope, at).rows(named=True)
    # o3 was resolved before 12:00; o4 had not started before it; o5's resolution at 12:00
    # is not "before" 12:00, so it is still open at that instant.
    assert [r["incident_id"] for r in rows] == ["o2", "o1", "o5"]    # severity, then age
    ages = {r["incident_id"]: r["age_minutes"] for r in rows}
    assert ages == pytest.approx({"o2": 36 * 60, "o1": 4 * 60, "o5": 2 * 60})
    o1 = rows[1]
    assert o1["detected_at"] == datetime(2026, 1, 10, 8, 10)
    assert o1["acknowledged_at"] is None          # acknowledged only after the moment


def test_incidents_over_time_by_week_severity_and_root_cause(make_warehouse):
    path = make_warehouse({**ORG, "incidents": FEBRUARY_INCIDENTS})
    with reading(path) as con:
        weekly = kpi.incidents_over_time(con, FEB, period="week")
    # ISO weeks start on Monday: 2 Feb 2026 and 9 Feb 2026
    assert weekly.rows() == [
        (date(2026, 2, 2), 1, "deployment", 1),
        (date(2026, 2, 2), 2, "infrastructure", 1),
        (date(2026, 2, 2), 3, None, 1),
        (date(2026, 2, 9), 4, None, 1),
    ]
