"""Release KPIs: DORA four keys with their counts, the deployment log, live versions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from modelops.warehouse import reading
from queries import kpi
from queries.filters import Filter

ORG = {
    "business_units": [{"business_unit_id": "b1", "name": "North"}],
    "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "b1"},
              {"team_id": "t3", "name": "Fraud", "business_unit_id": "b1"}],
    "models": [
        {"model_id": m, "name": m.upper(), "team_id": t, "risk_tier": "limited",
         "lifecycle_stage": "production", "created_at": "2025-01-01T00:00:00"}
        for m, t in (("a", "t1"), ("d", "t3"))
    ],
}
WEEK = Filter.for_days(date(2026, 5, 1), date(2026, 5, 7))   # 7 days
SHA = "ab" * 32


def deployment(deployment_id, deployed, committed=None, outcome="succeeded",
               environment="production", model_id="a", **extra):
    return {"deployment_id": deployment_id, "model_id": model_id, "version": deployment_id,
            "environment": environment, "committed_at": committed, "deployed_at": deployed,
            "outcome": outcome, **extra}


def incident(incident_id, started, resolved=None, deployment_id=None, model_id="a"):
    return {"incident_id": incident_id, "model_id": model_id, "severity": 2,
            "title": incident_id, "started_at": started, "resolved_at": resolved,
            "deployment_id": deployment_id}


DEPLOYMENTS = [
    deployment("r0", "2026-04-30T12:00:00", "2026-04-20T00:00:00"),   # before the window
    deployment("r1", "2026-05-02T12:00:00", "2026-05-02T11:00:00"),   # lead time 60
    deployment("r2", "2026-05-03T12:00:00", "2026-05-03T10:00:00"),   # 120
    deployment("r3", "2026-05-04T12:00:00", "2026-05-04T11:30:00"),   # 30
    deployment("r4", "2026-05-05T00:00:00", "2026-05-04T14:00:00"),   # 600
    deployment("r5", "2026-05-05T06:00:00", "2026-05-05T05:55:00", outcome="failed"),
    deployment("r6", "2026-05-06T06:00:00"),                          # no commit time
    deployment("r7", "2026-05-06T18:00:00", "2026-05-06T17:00:00", outcome="rolled_back"),
    deployment("s1", "2026-05-06T09:00:00", "2026-05-06T08:59:00", environment="staging",
               approved_by="alice", change_ticket="CHG-1"),
]
INCIDENTS = [
    incident("x1", "2026-05-03T13:00:00", "2026-05-03T13:30:00", "r2"),   # recovery 30
    incident("x2", "2026-05-05T01:00:00", "2026-05-05T02:30:00", "r4"),   # 90
    incident("x3", "2026-05-05T03:00:00", "2026-05-05T07:00:00", "r4"),   # 240, r4 again
    incident("x4", "2026-05-02T13:00:00", None, "r1"),                    # open
    incident("x5", "2026-05-04T00:00:00", "2026-05-04T05:00:00"),         # no deployment
    incident("x6", "2026-04-30T13:00:00", "2026-05-08T00:00:00", "r0"),   # resolved later
]


def test_dora_four_keys_with_the_counts_behind_them(make_warehouse):
    path = make_warehouse({**ORG, "deployments": DEPLOYMENTS, "incidents": INCIDENTS})
    with reading(path) as con:
        teams = {r["group_id"]: r for r in kpi.dora(con, WEEK, by="team").iter_rows(named=True)}
        tiles = kpi.kpi_tiles(con, WEEK).row(0, named=True)
    search = teams["t1"]
    # production deployments in the window: r1..r7 (s1 is staging, r0 is before)
    assert search["deployments"] == 7
    assert search["days"] == 7
    assert search["deployments_per_day"] == pytest.approx(1.0)
    assert search["deployments_per_week"] == pytest.approx(7.0)
    # failed changes: r5 failed, r7 rolled back, r1 / r2 / r4 named by incidents (r4 twice)
    assert search["failed_changes"] == 5
    assert search["change_failure_rate"] == pytest.approx(5 / 7)
    # lead time over succeeded deployments with committed_at: 30, 60, 120, 600 -> median 90
    assert search["lead_time_deployments"] == 4
    assert search["lead_time_median_minutes"] == pytest.approx(90)
    # recovery: deployment-caused incidents resolved in the window: 30, 90, 240 -> 90
    assert search["recovered_incidents"] == 3
    assert search["recovery_time_median_minutes"] == pytest.approx(90)

    fraud = teams["t3"]
    assert (fraud["deployments"], fraud["failed_changes"]) == (0, 0)
    assert fraud["deployments_per_day"] == 0
    assert fraud["change_failure_rate"] is None
    assert fraud["lead_time_median_minutes"] is None
    assert fraud["recovery_time_median_minutes"] is None

    assert (tiles["deployments"], tiles["failed_changes"]) == (7, 5)
    assert tiles["change_failure_rate"] == pytest.approx(5 / 7)


def test_recovery_time_counts_only_failures_caused_by_a_production_deployment(make_warehouse):
    """DORA's failed deployment recovery time is about changes to production (issue 30,
    item 3): an incident caused by a staging deployment, or naming a deployment id that no
    deployment has, is not a failed production deployment, and its recovery time does not
    count (it still counts for MTTR, as every incident does)."""
    extra = [
        incident("x7", "2026-05-06T10:00:00", "2026-05-06T10:10:00", "s1"),     # staging: 10
        incident("x8", "2026-05-06T11:00:00", "2026-05-06T11:05:00", "nope"),   # unknown: 5
    ]
    path = make_warehouse({**ORG, "deployments": DEPLOYMENTS, "incidents": INCIDENTS + extra})
    with reading(path) as con:
        search = kpi.dora(con, WEEK, by="team").filter(group_id="t1").row(0, named=True)
        trends = kpi.quarterly_trends(con, WEEK, by="team").filter(
            group_id="t1", quarter="2026-Q2").row(0, named=True)
        tiles = kpi.kpi_tiles(con, WEEK).row(0, named=True)
    # still x1, x2, x3 only: 30, 90, 240 -> median 90 (with x7 and x8: 5, 10, 30, 90, 240
    # -> 30)
    assert search["recovered_incidents"] == 3
    assert search["recovery_time_median_minutes"] == pytest.approx(90)
    assert trends["recovery_time_median_minutes"] == pytest.approx(90)
    # MTTR counts every incident resolved in the window: x1 30, x2 90, x3 240, x5 300,
    # x7 10, x8 5 -> 675 / 6
    assert tiles["mttr_minutes"] == pytest.approx(675 / 6)


def test_deployment_log(make_warehouse):
    path = make_warehouse({**ORG, "deployments": DEPLOYMENTS, "incidents": INCIDENTS})
    with reading(path) as con:
        log = kpi.deployment_log(con, WEEK)
    assert log["deployment_id"].to_list() == ["r7", "s1", "r6", "r5", "r4", "r3", "r2", "r1"]
    rows = {r["deployment_id"]: r for r in log.iter_rows(named=True)}
    assert (rows["r4"]["incidents"], rows["r4"]["failed_change"]) == (2, True)
    assert rows["r4"]["lead_time_minutes"] == pytest.approx(600)
    assert rows["r3"]["failed_change"] is False
    assert rows["r6"]["lead_time_minutes"] is None
    assert rows["s1"]["failed_change"] is None     # the DORA rule is for production only
    assert (rows["s1"]["approved_by"], rows["s1"]["change_ticket"]) == ("alice", "CHG-1")
    with reading(path) as con:
        assert kpi.deployment_log(con, WEEK, limit=2)["deployment_id"].to_list() == ["r7", "s1"]


@pytest.mark.parametrize("at, version", [
    (datetime(2026, 4, 1), None),                  # nothing deployed yet
    (datetime(2026, 5, 4, 11, 59), "r2"),
    (datetime(2026, 5, 4, 12, 0), "r3"),            # deployed_at <= at
    (datetime(2026, 5, 5, 12, 0), "r4"),            # r5 failed
    (datetime(2026, 5, 6, 12, 0), "r6"),            # s1 is staging
    (datetime(2026, 5, 7, 0, 0), "r6"),             # r7 was rolled back
])
def test_live_version_at_a_moment(make_warehouse, at, version):
    path = make_warehouse({**ORG, "deployments": DEPLOYMENTS, "model_versions": [
        {"model_id": "a", "version": "r3", "registered_at": "2026-05-04T09:00:00",
         "artifact_sha256": SHA, "code_commit": "c0ffee", "training_data_ref": "snap-3"}]})
    with reading(path) as con:
        live = kpi.live_versions(con, WEEK, at)
    # model d has never been deployed: no row
    assert live["version"].to_list() == ([] if version is None else [version])
    if version == "r3":
        row = live.row(0, named=True)
        assert (row["artifact_sha256"], row["code_commit"], row["training_data_ref"]) == (
            SHA, "c0ffee", "snap-3")
        assert row["deployed_at"] == datetime(2026, 5, 4, 12)


def test_model_versions_audit_trail(make_warehouse):
    path = make_warehouse({**ORG, "deployments": DEPLOYMENTS, "model_versions": [
        {"model_id": "a", "version": v, "registered_at": f"2026-05-0{k}T00:00:00",
         "artifact_sha256": SHA if v == "r3" else None}
        for k, v in ((1, "r1"), (3, "r3"), (5, "r5"))]})
    with reading(path) as con:
        versions = kpi.model_versions(con, WEEK, at=datetime(2026, 5, 4, 18))
    assert versions.select("version", "live_in_production").rows() == [
        ("r5", False), ("r3", True), ("r1", False)]
    r3 = versions.row(1, named=True)
    assert r3["artifact_sha256"] == SHA
    assert r3["first_production_at"] == datetime(2026, 5, 4, 12)
    assert versions.row(0, named=True)["first_production_at"] is None   # r5 only failed
