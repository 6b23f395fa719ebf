"""Cost and value, vendor scorecard, model quality, and the headline tiles."""

from __future__ import annotations

from datetime import date

import pytest

from modelops.warehouse import reading
from modelops.warehouse.schema import LATENCY_BOUNDS_MS
from queries import kpi
from queries.filters import Filter

JUNE = Filter.for_days(date(2026, 6, 1), date(2026, 6, 30))


def model(model_id, team, vendor=None):
    return {"model_id": model_id, "name": model_id.upper(), "team_id": team,
            "risk_tier": "limited", "lifecycle_stage": "production", "vendor_id": vendor,
            "created_at": "2025-01-01T00:00:00"}


def hour_row(model_id, hour, requests, errors=0):
    return {"model_id": model_id, "hour": hour, "requests": requests, "errors": errors,
            **{f"latency_le_{b}ms": requests for b in LATENCY_BOUNDS_MS}}


def cost(model_id, day, category, amount, vendor=None):
    return {"model_id": model_id, "day": day, "category": category, "amount_usd": amount,
            "vendor_id": vendor}


ORG = {
    "business_units": [{"business_unit_id": "b1", "name": "North"},
                       {"business_unit_id": "b2", "name": "South"}],
    "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "b1"},
              {"team_id": "t3", "name": "Fraud", "business_unit_id": "b2"}],
    "vendors": [
        {"vendor_id": "v1", "name": "CloudCo", "kind": "cloud", "sla_availability": 0.999},
        {"vendor_id": "v2", "name": "ApiCo", "kind": "model_api", "sla_availability": 0.99},
        {"vendor_id": "v3", "name": "Unused", "kind": "other"},
    ],
    "models": [model("a", "t1", "v1"), model("b", "t1"), model("d", "t3", "v2"),
               model("e", "t3")],
}
MONEY = {
    **ORG,
    "costs_daily": [
        cost("a", "2026-05-31", "compute", 999),                 # before the window
        cost("a", "2026-06-10", "compute", 1000),
        cost("a", "2026-06-11", "inference_api", 250, vendor="v1"),
        cost("b", "2026-06-12", "storage", 50),
        cost("d", "2026-06-12", "inference_api", 200, vendor="v2"),
    ],
    "business_value_daily": [
        {"model_id": "a", "day": "2026-06-10", "value_usd": 2000},
        {"model_id": "b", "day": "2026-06-10", "value_usd": 100},
        {"model_id": "e", "day": "2026-06-20", "value_usd": 10},
    ],
    "metrics_hourly": [hour_row("a", "2026-06-10T09:00:00", 5_000_000, 10_000),
                       hour_row("d", "2026-06-12T09:00:00", 1000, 5)],
    "incidents": [
        {"incident_id": "n1", "model_id": "a", "severity": 2, "title": "vendor outage",
         "started_at": "2026-06-11T00:00:00", "root_cause": "vendor"},
        {"incident_id": "n2", "model_id": "a", "severity": 2, "title": "node died",
         "started_at": "2026-06-12T00:00:00", "root_cause": "infrastructure"},
        {"incident_id": "n3", "model_id": "a", "severity": 2, "title": "vendor, May",
         "started_at": "2026-05-20T00:00:00", "root_cause": "vendor"},
    ],
}


def rows_by(frame, key="group_id"):
    return {r[key]: r for r in frame.iter_rows(named=True)}


def test_cost_value_net_value_and_roi_per_model_and_team(make_warehouse):
    with reading(make_warehouse(MONEY)) as con:
        models = rows_by(kpi.cost_value(con, JUNE, by="model"))
        teams = rows_by(kpi.cost_value(con, JUNE, by="team"))
        units = rows_by(kpi.cost_value(con, JUNE, by="business_unit"))

    a = models["a"]
    assert (a["cost_usd"], a["requests"], a["business_value_usd"]) == (1250, 5_000_000, 2000)
    assert a["cost_per_1k_requests"] == pytest.approx(0.25)
    assert a["net_value_usd"] == pytest.approx(750)
    assert a["roi"] == pytest.approx(750 / 1250)
    assert models["b"]["cost_per_1k_requests"] is None          # no requests
    assert models["b"]["roi"] == pytest.approx((100 - 50) / 50)
    assert models["d"]["roi"] == pytest.approx(-1.0)            # cost 200, no value
    assert models["e"]["cost_usd"] == 0
    assert models["e"]["roi"] is None                           # no cost: ROI undefined
    assert models["e"]["net_value_usd"] == pytest.approx(10)

    search = teams["t1"]
    assert search["cost_usd"] == pytest.approx(1300)
    assert search["cost_per_1k_requests"] == pytest.approx(1300 / 5_000_000 * 1000)
    assert search["roi"] == pytest.approx((2100 - 1300) / 1300)
    assert teams["t3"]["roi"] == pytest.approx((10 - 200) / 200)
    # a model's cost counts wholly to its team's business unit
    assert units["b1"]["cost_usd"] == pytest.approx(1300)
    assert units["b2"]["cost_usd"] == pytest.approx(200)


def test_showback_by_vendor_category_and_team(make_warehouse):
    with reading(make_warehouse(MONEY)) as con:
        by_vendor = kpi.cost_breakdown(con, JUNE, by="vendor")
        by_category = kpi.cost_breakdown(con, JUNE, by="category")
        by_team = kpi.cost_breakdown(con, JUNE, by="team")
    # total 1,500: no vendor 1,050 (a compute + b storage), CloudCo 250, ApiCo 200
    assert by_vendor.select("group_id", "group_name", "cost_usd").rows() == [
        (None, None, 1050), ("v1", "CloudCo", 250), ("v2", "ApiCo", 200)]
    assert by_vendor["share_of_cost"].to_list() == pytest.approx([0.7, 250 / 1500, 200 / 1500])
    assert by_category.select("group_id", "cost_usd").rows() == [
        ("compute", 1000), ("inference_api", 450), ("storage", 50)]
    assert by_team.select("group_id", "cost_usd").rows() == [("t1", 1300), ("t3", 200)]


def test_vendor_scorecard(make_warehouse):
    with reading(make_warehouse(MONEY)) as con:
        card = rows_by(kpi.vendor_scorecard(con, JUNE), "vendor_id")
        fraud_only = kpi.vendor_scorecard(
            con, Filter.for_days(date(2026, 6, 1), date(2026, 6, 30), teams=("t3",)))
    assert set(card) == {"v1", "v2"}                   # v3 is neither used nor billed
    cloud = card["v1"]
    assert (cloud["models"], cloud["requests"], cloud["errors"]) == (1, 5_000_000, 10_000)
    assert cloud["measured_availability"] == pytest.approx(0.998)
    assert cloud["sla_met"] is False                   # 0.998 < 0.999
    assert cloud["cost_usd"] == pytest.approx(250)
    assert cloud["vendor_incidents"] == 1              # n1 only: n2 is not vendor, n3 is May
    api = card["v2"]
    assert api["measured_availability"] == pytest.approx(0.995)
    assert api["sla_met"] is True
    assert (api["cost_usd"], api["vendor_incidents"]) == (200, 0)
    assert fraud_only["vendor_id"].to_list() == ["v2"]


def test_cost_value_series(make_warehouse):
    with reading(make_warehouse(MONEY)) as con:
        series = kpi.cost_value_series(con, JUNE, by="all")
    rows = rows_by(series, "day")
    assert set(rows) == {date(2026, 6, d) for d in (10, 11, 12, 20)}
    june_10 = rows[date(2026, 6, 10)]
    assert (june_10["cost_usd"], june_10["business_value_usd"], june_10["requests"]) == (
        1000, 2100, 5_000_000)
    assert june_10["net_value_usd"] == pytest.approx(1100)
    assert june_10["cost_per_1k_requests"] == pytest.approx(0.2)
    assert rows[date(2026, 6, 11)]["cost_per_1k_requests"] is None


# --- model quality -----------------------------------------------------------------------

def drift(model_id, feature, day, score, threshold):
    return {"model_id": model_id, "feature": feature, "measured_at": f"{day}T00:00:00",
            "method": "psi", "score": score, "threshold": threshold}


def check(check_run_id, model_id, day, status, rows_checked=None, rows_failed=None):
    return {"check_run_id": check_run_id, "model_id": model_id, "pipeline": "features",
            "check_name": f"check {check_run_id}", "run_at": f"{day}T06:00:00",
            "status": status, "rows_checked": rows_checked, "rows_failed": rows_failed}


QUALITY = {
    **ORG,
    "drift": [
        drift("a", "f1", "2026-06-02", 0.30, 0.25),      # alert
        drift("a", "f1", "2026-06-03", 0.20, 0.25),
        drift("a", "f1", "2026-06-04", 0.25, 0.25),      # equal is not above: no alert
        drift("a", "f2", "2026-06-04", 0.05, 0.25),
        drift("d", "f1", "2026-05-31", 0.90, 0.10),      # before the window
        drift("d", "f1", "2026-06-05", 0.50, 0.10),
        drift("d", "f1", "2026-06-06", 0.60, 0.10),
    ],
    "data_quality": [
        check("q1", "a", "2026-06-01", "pass"), check("q2", "a", "2026-06-02", "pass"),
        check("q3", "a", "2026-06-03", "warn", 100, 3),
        check("q4", "a", "2026-06-02", "fail", 200, 50),
        check("q5", "d", "2026-06-02", "pass"),
        check("q0", "a", "2026-05-30", "fail"),           # before the window
    ],
}


def test_drift_alerts_by_model_and_feature(make_warehouse):
    with reading(make_warehouse(QUALITY)) as con:
        alerts = kpi.drift_alerts(con, JUNE)
        tiles = kpi.kpi_tiles(con, JUNE).row(0, named=True)
    assert alerts.select("model_id", "feature", "results", "alerts").rows() == [
        ("d", "f1", 2, 2), ("a", "f1", 3, 1)]
    a = alerts.row(1, named=True)
    assert (a["max_score"], a["latest_score"]) == (0.30, 0.25)
    assert tiles["drift_alerts"] == 3


def test_data_quality_pass_rate_counts_warn_as_not_passed(make_warehouse):
    with reading(make_warehouse(QUALITY)) as con:
        everything = kpi.data_quality(con, JUNE, by="all").row(0, named=True)
        per_model = rows_by(kpi.data_quality(con, JUNE, by="model"))
        failing = kpi.failing_checks(con, JUNE)
        tiles = kpi.kpi_tiles(con, JUNE).row(0, named=True)
    assert (everything["checks"], everything["passed"], everything["warned"],
            everything["failed"]) == (5, 3, 1, 1)
    assert everything["pass_rate"] == pytest.approx(3 / 5)
    assert per_model["a"]["pass_rate"] == pytest.approx(2 / 4)
    assert per_model["b"]["pass_rate"] is None          # no check ran
    assert failing.select("check_run_id", "status").rows() == [("q4", "fail"), ("q3", "warn")]
    assert failing["failed_row_fraction"].to_list() == pytest.approx([0.25, 0.03])
    assert tiles["dq_pass_rate"] == pytest.approx(0.6)


# --- headline tiles ----------------------------------------------------------------------

def test_tiles_are_one_row_even_for_an_empty_scope(make_warehouse):
    with reading(make_warehouse(MONEY)) as con:
        tiles = kpi.kpi_tiles(con, Filter.for_days(date(2026, 6, 1), date(2026, 6, 30),
                                                   models=("nothing",)))
    assert tiles.height == 1
    row = tiles.row(0, named=True)
    assert (row["requests"], row["incidents"], row["deployments"], row["cost_usd"],
            row["drift_alerts"], row["dq_checks"]) == (0, 0, 0, 0, 0, 0)
    for column in ("availability", "error_budget_consumed", "latency_p95_ms", "mttr_minutes",
                   "change_failure_rate", "cost_per_1k_requests", "roi", "dq_pass_rate"):
        assert row[column] is None, column


def test_tiles_against_the_previous_period(make_warehouse):
    path = make_warehouse({
        **ORG,
        "costs_daily": [cost("a", "2026-06-15", "compute", 100),
                        cost("a", "2026-05-15", "compute", 40),
                        cost("a", "2026-05-01", "compute", 1000)],   # before the previous 30 days
        "metrics_hourly": [hour_row("a", "2026-06-15T00:00:00", 1000, 10)],
    })
    # The pages compare kpi_tiles over the window with kpi_tiles over the equal-length
    # window before it (Filter.previous: 2026-05-02 .. 2026-05-31).
    with reading(path) as con:
        current = kpi.kpi_tiles(con, JUNE).row(0, named=True)
        previous = kpi.kpi_tiles(con, JUNE.previous()).row(0, named=True)
    assert (current["cost_usd"], previous["cost_usd"]) == (100, 40)
    assert current["availability"] == pytest.approx(0.99)
    assert previous["availability"] is None          # no requests in May
    assert (current["requests"], previous["requests"]) == (1000, 0)
