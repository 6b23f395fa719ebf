"""The dashboard's headline tiles (kpi_tiles) and the weekly report give identical numbers
for the same ISO week and scope: per model, per team and per business unit.

Both come from one SQL definition (the kpi_groups macro in queries/macros.sql); this test
holds them to it on a small hand-built warehouse: test_report's week 2026-W47 (several
models, teams and units; incidents, failed and incident-named deployments, costs, value,
drift, data quality; its per-model numbers are worked out by hand there) plus traffic,
a failed change named by an incident of another week, drift and value for unit bu-b.

The report leaves out models that did not exist during the week (METRICS.md, "Weekly
report"); the tiles count whatever their scope served. So the two agree when such models
carry no data in the week: m6 (created at the week's end) and m7 (retired before it),
which test_report gives traffic to check exactly that exclusion, are left out here.
"""

from __future__ import annotations

from datetime import date

import pytest
from conftest import build_warehouse
from test_report import TABLES, WEEK, metrics

from modelops.reports.weekly import weekly_report
from modelops.warehouse import query, reading
from queries import kpi
from queries.filters import Filter

GONE = {"m6", "m7"}
EXTRA = {
    "metrics_hourly": [
        # m5: 400 requests, 8 errors; 300 under 5 ms, 100 in (50, 100] ms
        metrics("m5", "2026-11-20 06:00:00", 400, 8, [300, 300, 300, 300, 400]),
    ],
    "deployments": [
        # m5: succeeded, but named by an incident that started the week after -> failed
        {"deployment_id": "d8", "model_id": "m5", "version": "2", "environment": "production",
         "deployed_at": "2026-11-20 05:00:00", "outcome": "succeeded"},
        {"deployment_id": "d9", "model_id": "m5", "version": "3", "environment": "production",
         "deployed_at": "2026-11-21 05:00:00", "outcome": "succeeded"},
    ],
    "incidents": [
        {"incident_id": "i7", "model_id": "m5", "severity": 3, "title": "later",
         "started_at": "2026-11-24 00:00:00", "deployment_id": "d8"},
        {"incident_id": "i8", "model_id": "m5", "severity": 1, "title": "short",
         "started_at": "2026-11-20 06:00:00", "resolved_at": "2026-11-20 06:20:00"},
    ],
    "costs_daily": [
        {"model_id": "m5", "day": "2026-11-20", "category": "compute", "amount_usd": 0.7},
    ],
    "business_value_daily": [
        {"model_id": "m5", "day": "2026-11-20", "value_usd": 2.5},
    ],
    "drift": [
        {"model_id": "m5", "feature": "f9", "measured_at": "2026-11-20 00:00:00",
         "method": "psi", "score": 0.4, "threshold": 0.2},
    ],
}
TABLES_HERE = {
    name: [r for r in rows if r.get("model_id") not in GONE] + EXTRA.get(name, [])
    for name, rows in TABLES.items()
}
# The week 2026-W47 as the dashboard's filter: whole days 16..22 November.
WEEK_DAYS = (date(2026, 11, 16), date(2026, 11, 22))
# Every KPI both compute (asserted below to be all the columns they share).
SHARED = ("requests", "errors", "availability", "error_budget_consumed", "latency_p95_ms",
          "incidents", "sev1_sev2_incidents", "mttr_minutes", "deployments",
          "failed_changes", "change_failure_rate", "cost_usd", "cost_per_1k_requests",
          "business_value_usd", "net_value_usd", "drift_alerts", "dq_pass_rate")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("consistency") / "wh.duckdb", TABLES_HERE)


def compare(warehouse, group_by, key, scope):
    with reading(warehouse) as con:
        rows = weekly_report(con, WEEK, group_by=group_by).iter_rows(named=True)
        report = {r[key]: r for r in rows}
        tiles = {k: kpi.kpi_tiles(con, Filter.for_days(*WEEK_DAYS, **{scope: (k,)}))
                 .row(0, named=True) for k in report}
    assert set(SHARED) == set(next(iter(report.values()))) & set(next(iter(tiles.values())))
    for k in report:
        assert {c: tiles[k][c] for c in SHARED} == {c: report[k][c] for c in SHARED}, k
    return report


def test_tiles_equal_the_report_per_model(warehouse):
    report = compare(warehouse, "model", "model_id", "models")
    assert set(report) == {"m1", "m2", "m3", "m4", "m5"}
    m5 = report["m5"]
    # by hand: 392 / 400 = 0.98; budget 8 / (0.01 * 400) = 2; p95 rank 380 in (50, 100]:
    # 50 + 50 * 80 / 100 = 90; d8 named by i7 (next week) -> 1 failed of 2; i8: 20 min
    assert (m5["requests"], m5["errors"], m5["deployments"], m5["failed_changes"]) == (
        400, 8, 2, 1)
    assert m5["availability"] == pytest.approx(0.98)
    assert m5["error_budget_consumed"] == pytest.approx(2)
    assert m5["latency_p95_ms"] == pytest.approx(90)
    assert (m5["incidents"], m5["sev1_sev2_incidents"], m5["mttr_minutes"]) == (1, 1, 20)
    assert (m5["cost_usd"], m5["business_value_usd"], m5["drift_alerts"]) == (0.7, 2.5, 1)


def test_tiles_equal_the_report_per_team(warehouse):
    report = compare(warehouse, "team", "team_id", "teams")
    t1 = report["t1"]
    # m1 + m2: 2,100 requests, 45 errors; d1 d2 d3 d7 with d1, d2 failed -> 2 / 4;
    # cost 100.3 + 1.5; MTTR (60 + 120 + 3240) / 3 = 1140
    assert (t1["requests"], t1["errors"], t1["deployments"], t1["failed_changes"]) == (
        2100, 45, 4, 2)
    assert t1["availability"] == pytest.approx(2055 / 2100)
    assert t1["change_failure_rate"] == pytest.approx(0.5)
    assert t1["cost_usd"] == pytest.approx(101.8)
    assert t1["mttr_minutes"] == pytest.approx(1140)


def test_tiles_equal_the_report_per_business_unit(warehouse):
    report = compare(warehouse, "business_unit", "business_unit_id", "business_units")
    retail, risk = report["bu-a"], report["bu-b"]
    # Retail: m1 m2 m3 -> 3,100 requests, 46 errors; allowed 0.01*2000 + 0.1*100 +
    # 0.001*1000 = 31 -> consumed 46 / 31; cost 100.3 + 1.5 + 0.3 = 102.1
    assert (retail["requests"], retail["errors"]) == (3100, 46)
    assert retail["error_budget_consumed"] == pytest.approx(46 / 31)
    assert retail["cost_usd"] == pytest.approx(102.1)
    # Risk: m4 m5 -> m5's traffic; cost 10 + 0.7; value 2.5; net 2.5 - 10.7
    assert (risk["requests"], risk["deployments"], risk["failed_changes"]) == (400, 2, 1)
    assert risk["cost_usd"] == pytest.approx(10.7)
    assert risk["net_value_usd"] == pytest.approx(-8.2)


def test_kpi_groups_counts_the_models_of_each_group(warehouse):
    # Retail has m1 m2 m3 and Risk m4 m5 (m6 m7 are not in this warehouse); a `models`
    # column would have been the macro's own list argument, not a count.
    with reading(warehouse) as con:
        rows = query(con, """
            SELECT business_unit_id, model_count
            FROM kpi_groups(TIMESTAMP '2026-11-16', TIMESTAMP '2026-11-23', []::VARCHAR[],
                            []::VARCHAR[], []::VARCHAR[], 'business_unit', true)
            ORDER BY 1""").rows()
    assert rows == [("bu-a", 3), ("bu-b", 2)]
