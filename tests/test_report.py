"""The weekly report (METRICS.md, "Weekly report (CSV)") against a tiny warehouse whose
every number is worked out by hand below.

The week is 2026-W47: Monday 2026-11-16 00:00 to Monday 2026-11-23 00:00 (UTC).

Business units bu-a "Retail" (teams t1 "Search", t2 "Pricing") and bu-b "Risk" (t3 "Fraud").
Models:
  m1 "Ranker"                      t1  slo 0.99 / p95 100 ms
  m2 '=HYPERLINK("http://x","y")'  t1  slo 0.9 / 500 ms
  m3 "+1"   t2, created mid-week (2026-11-20)              slo 0.999 / 50 ms
  m4 "-2"   t3, retired exactly at the week's start (still existed)
  m5 "@x"   t3, one metrics row with 0 requests
  m6        t3, created exactly at the week's end -> not in the report
  m7        t2, retired the hour before the week -> not in the report
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest
from conftest import build_warehouse

from modelops import cli
from modelops.reports.weekly import (
    COLUMNS,
    last_complete_week,
    parse_week,
    split_file_name,
    to_csv,
    weekly_report,
    write_split,
)
from modelops.warehouse import WarehouseError, reading
from modelops.warehouse.schema import LATENCY_BUCKETS

WEEK = "2026-W47"
HEADER = (
    "week,business_unit_id,business_unit,team_id,team,model_id,model,lifecycle_stage,"
    "risk_tier,requests,errors,availability,slo_availability,availability_slo_met,"
    "error_budget_consumed,latency_p50_ms,latency_p95_ms,latency_p99_ms,"
    "slo_latency_p95_ms,latency_slo_met,incidents,sev1_sev2_incidents,mttr_minutes,"
    "deployments,failed_changes,change_failure_rate,cost_usd,cost_per_1k_requests,"
    "business_value_usd,net_value_usd,drift_alerts,dq_pass_rate"
    # issue 14, appended: rework_rate, open / overdue action items, pages
    ",rework_rate,open_action_items,overdue_action_items,pages"
)
HYPERLINK = '=HYPERLINK("http://x","y")'


def metrics(model_id, hour, requests, errors, cumulative):
    """An hourly row; `cumulative` are the 11 latency_le_* counts (padded with the last)."""
    cumulative = list(cumulative) + [cumulative[-1]] * (len(LATENCY_BUCKETS) - len(cumulative))
    return {"model_id": model_id, "hour": hour, "requests": requests, "errors": errors,
            **dict(zip(LATENCY_BUCKETS, cumulative))}


def model(model_id, name, team_id, stage, tier, created_at, **extra):
    return {"model_id": model_id, "name": name, "team_id": team_id, "lifecycle_stage": stage,
            "risk_tier": tier, "created_at": created_at, **extra}


TABLES = {
    "business_units": [{"business_unit_id": "bu-a", "name": "Retail"},
                       {"business_unit_id": "bu-b", "name": "Risk"}],
    "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "bu-a"},
              {"team_id": "t2", "name": "Pricing", "business_unit_id": "bu-a"},
              {"team_id": "t3", "name": "Fraud", "business_unit_id": "bu-b"}],
    "models": [
        model("m1", "Ranker", "t1", "production", "high", "2026-01-01 00:00:00",
              slo_availability=0.99, slo_latency_p95_ms=100),
        model("m2", HYPERLINK, "t1", "staging", "limited", "2026-01-01 00:00:00",
              slo_availability=0.9, slo_latency_p95_ms=500),
        model("m3", "+1", "t2", "production", "minimal", "2026-11-20 12:00:00",
              slo_availability=0.999, slo_latency_p95_ms=50),
        model("m4", "-2", "t3", "retired", "high", "2025-06-01 00:00:00",
              retired_at="2026-11-16 00:00:00"),
        model("m5", "@x", "t3", "deprecated", "minimal", "2025-01-01 00:00:00"),
        model("m6", "Tomorrow", "t3", "development", "minimal", "2026-11-23 00:00:00"),
        model("m7", "Gone", "t2", "retired", "minimal", "2025-01-01 00:00:00",
              retired_at="2026-11-15 23:00:00"),
    ],
    "metrics_hourly": [
        # m1: 2000 requests, 40 errors in the week; merged buckets
        # 100, 300, 600, 1100, 1700, 1850, 1990, 2000, ...
        metrics("m1", "2026-11-17 10:00:00", 1000, 10,
                [100, 300, 500, 700, 900, 950, 1000]),
        metrics("m1", "2026-11-18 10:00:00", 1000, 30,
                [0, 0, 100, 400, 800, 900, 990, 1000]),
        metrics("m1", "2026-11-15 23:00:00", 500, 500, [0]),   # the week before
        metrics("m1", "2026-11-23 00:00:00", 500, 500, [0]),   # the week after
        # m2: 100 requests, 5 errors, all under 5 ms
        metrics("m2", "2026-11-19 08:00:00", 100, 5, [100]),
        # m3: 1000 requests, 1 error; 900 under 5 ms, 100 slower than 10 s (+Inf bucket)
        metrics("m3", "2026-11-21 00:00:00", 1000, 1, [900]),
        # m5: a row without traffic
        metrics("m5", "2026-11-19 00:00:00", 0, 0, [0]),
        # m6 / m7 carry traffic, but are not in the week's report
        metrics("m6", "2026-11-19 00:00:00", 10, 0, [10]),
        metrics("m7", "2026-11-19 00:00:00", 10, 0, [10]),
    ],
    "deployments": [
        # m1: 3 production deployments, d1 named by two incidents, d2 rolled back -> 2 failed
        {"deployment_id": "d1", "model_id": "m1", "version": "1", "environment": "production",
         "deployed_at": "2026-11-17 09:00:00", "outcome": "succeeded"},
        {"deployment_id": "d2", "model_id": "m1", "version": "2", "environment": "production",
         "deployed_at": "2026-11-19 12:00:00", "outcome": "rolled_back"},
        {"deployment_id": "d3", "model_id": "m1", "version": "3", "environment": "production",
         "deployed_at": "2026-11-20 12:00:00", "outcome": "succeeded"},
        {"deployment_id": "d4", "model_id": "m1", "version": "4", "environment": "staging",
         "deployed_at": "2026-11-20 13:00:00", "outcome": "failed"},       # not production
        {"deployment_id": "d5", "model_id": "m2", "version": "1", "environment": "production",
         "deployed_at": "2026-11-10 00:00:00", "outcome": "failed"},       # the week before
        {"deployment_id": "d6", "model_id": "m3", "version": "1", "environment": "production",
         "deployed_at": "2026-11-21 00:30:00", "outcome": "failed"},
        {"deployment_id": "d7", "model_id": "m2", "version": "2", "environment": "production",
         "deployed_at": "2026-11-22 10:00:00", "outcome": "succeeded"},
    ],
    "incidents": [
        {"incident_id": "i1", "model_id": "m1", "severity": 1, "title": "down",
         "started_at": "2026-11-17 10:00:00", "resolved_at": "2026-11-17 11:00:00",
         "deployment_id": "d1"},                                           # 60 min
        {"incident_id": "i2", "model_id": "m1", "severity": 3, "title": "slow",
         "started_at": "2026-11-18 00:00:00", "resolved_at": "2026-11-18 02:00:00",
         "deployment_id": "d1"},                                           # 120 min
        {"incident_id": "i3", "model_id": "m1", "severity": 2, "title": "open",
         "started_at": "2026-11-22 23:00:00"},                             # still open
        {"incident_id": "i4", "model_id": "m2", "severity": 4, "title": "old",
         "started_at": "2026-11-14 00:00:00", "resolved_at": "2026-11-16 06:00:00"},
        # ^ started the week before, resolved in the week: 54 h = 3240 min
        {"incident_id": "i5", "model_id": "m3", "severity": 2, "title": "late",
         "started_at": "2026-11-21 01:00:00", "resolved_at": "2026-11-23 01:00:00"},
        {"incident_id": "i6", "model_id": "m1", "severity": 1, "title": "next week",
         "started_at": "2026-11-23 00:00:00"},
    ],
    "costs_daily": [
        {"model_id": "m1", "day": "2026-11-16", "category": "compute", "amount_usd": 100.1},
        {"model_id": "m1", "day": "2026-11-22", "category": "storage", "amount_usd": 0.2},
        {"model_id": "m1", "day": "2026-11-23", "category": "compute", "amount_usd": 999},
        {"model_id": "m1", "day": "2026-11-15", "category": "compute", "amount_usd": 999},
        {"model_id": "m2", "day": "2026-11-18", "category": "inference_api",
         "amount_usd": 1.5},
        {"model_id": "m3", "day": "2026-11-21", "category": "compute", "amount_usd": 0.1},
        {"model_id": "m3", "day": "2026-11-21", "category": "storage", "amount_usd": 0.2},
        {"model_id": "m4", "day": "2026-11-16", "category": "storage", "amount_usd": 10},
    ],
    "business_value_daily": [
        {"model_id": "m1", "day": "2026-11-16", "value_usd": 500},
        {"model_id": "m1", "day": "2026-11-20", "value_usd": -20},
        {"model_id": "m1", "day": "2026-11-23", "value_usd": 1000},
        {"model_id": "m3", "day": "2026-11-22", "value_usd": 1},
    ],
    "drift": [
        {"model_id": "m1", "feature": "f1", "measured_at": "2026-11-17 00:00:00",
         "method": "psi", "score": 0.3, "threshold": 0.25},                # alert
        {"model_id": "m1", "feature": "f2", "measured_at": "2026-11-17 00:00:00",
         "method": "psi", "score": 0.1, "threshold": 0.25},
        {"model_id": "m1", "feature": "f3", "measured_at": "2026-11-17 00:00:00",
         "method": "psi", "score": 0.25, "threshold": 0.25},               # not above
        {"model_id": "m1", "feature": "f1", "measured_at": "2026-11-23 00:00:00",
         "method": "psi", "score": 0.9, "threshold": 0.25},                # next week
        {"model_id": "m3", "feature": "f1", "measured_at": "2026-11-21 00:00:00",
         "method": "ks", "score": 0.5, "threshold": 0.2},                  # alert
    ],
    "data_quality": [
        {"check_run_id": f"q{i}", "model_id": mid, "pipeline": "p", "check_name": "c",
         "run_at": at, "status": status}
        for i, (mid, at, status) in enumerate([
            ("m1", "2026-11-16 01:00:00", "pass"),
            ("m1", "2026-11-17 01:00:00", "pass"),
            ("m1", "2026-11-18 01:00:00", "warn"),
            ("m1", "2026-11-19 01:00:00", "fail"),
            ("m1", "2026-11-15 01:00:00", "fail"),   # the week before
             ("m2", "2026-11-19 01:00:00", "pass"),
            ("m5", "2026-11-19 01:00:00", "warn"),
        ])
    ],
}

# The per-model report, worked out by hand:
# m1 availability 1960/2000 = 0.98 < 0.99; budget 40 / (0.01 * 2000) = 2;
#    p50 rank 1000 in (25, 50]: 25 + 25 * 400/500 = 45;
#    p95 rank 1900 in (250, 500]: 250 + 250 * 50/140 = 339.2857142857...;
#    p99 rank 1980: 250 + 250 * 130/140 = 482.1428571428...;
#    incidents i1, i2, i3 (sev 1, 3, 2); MTTR (60 + 120) / 2 = 90;
#    deployments d1, d2, d3; failed d1 (named twice, counted once) and d2 -> 2/3;
#    cost 100.1 + 0.2 = 100.3, per 1k 100.3 / 2000 * 1000 = 50.15; value 480, net 379.7;
#    drift 1 (0.25 is not above 0.25); dq 2 passed / 4 = 0.5.
# m2 availability 0.95 >= 0.9; budget 5 / (0.1 * 100) = 0.5; p50/p95/p99 = 5 * q;
#    no incident started; i4 resolved in the week: MTTR 3240; 1 deployment, 0 failed;
#    cost 1.5, per 1k 15; value 0, net -1.5; dq 1/1.
# m3 availability 999/1000 = 0.999 >= 0.999; budget 1 / (0.001 * 1000) = 1;
#    p50 rank 500 in (0, 5]: 5 * 500/900 = 2.777...; p95, p99 ranks in +Inf -> 10000 > 50;
#    i5 counted, resolved next week -> MTTR empty; d6 failed -> 1/1;
#    cost 0.1 + 0.2 = 0.3 (written 0.3, not 0.30000000000000004), per 1k 0.3; net 0.7.
# m4, m5 no requests -> availability, budget, latency, SLO verdicts, cost per 1k empty;
#    defaults slo 0.99 / 500 ms; no deployments -> change failure rate empty;
#    m4 cost 10, net -10 (a number, not guarded); m5 one warn check -> dq 0.
MODEL_ROWS = [
    ("2026-W47,bu-a,Retail,t1,Search,m1,Ranker,production,high,2000,40,0.98,0.99,false,2,45,"
     "339.285714286,482.142857143,100,false,3,2,90,3,2,0.666666666667,100.3,50.15,480,379.7,"
     "1,0.5" ",0,0,0,0"),
    ("2026-W47,bu-a,Retail,t1,Search,m2,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",staging,"
     "limited,100,5,0.95,0.9,true,0.5,2.5,4.75,4.95,500,true,0,0,3240,1,0,0,1.5,15,0,-1.5,0,1"
     ",0,0,0,0"),
    ("2026-W47,bu-a,Retail,t2,Pricing,m3,'+1,production,minimal,1000,1,0.999,0.999,true,1,"
     "2.77777777778,10000,10000,50,false,1,1,,1,1,1,0.3,0.3,1,0.7,1," ",0,0,0,0"),
    ("2026-W47,bu-b,Risk,t3,Fraud,m4,'-2,retired,high,0,0,,0.99,,,,,,500,,0,0,,0,0,,10,,0,"
     "-10,0," ",,0,0,0"),
    ("2026-W47,bu-b,Risk,t3,Fraud,m5,'@x,deprecated,minimal,0,0,,0.99,,,,,,500,,0,0,,0,0,,0,,"
     "0,0,0,0" ",,0,0,0"),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """Built once through ingest; the tests only read it."""
    return build_warehouse(tmp_path_factory.mktemp("report") / "wh.duckdb", TABLES)


def report(path, **kw) -> pl.DataFrame:
    with reading(path) as con:
        return weekly_report(con, WEEK, **kw)


def run_cli(args, capsysbinary):
    status = cli.main(["report", "weekly", *args])
    out, err = capsysbinary.readouterr()
    return status, out, err.decode()


# --- weeks ------------------------------------------------------------------------------

def test_parse_week_gives_the_half_open_iso_week():
    assert parse_week("2026-W47") == (datetime(2026, 11, 16), datetime(2026, 11, 23))
    # 2026 starts on a Thursday, so it has a week 53 (running into 2027).
    assert parse_week("2026-W53") == (datetime(2026, 12, 28), datetime(2027, 1, 4))
    # ISO week 1 of 2026 starts in 2025.
    assert parse_week("2026-W01")[0] == datetime(2025, 12, 29)


@pytest.mark.parametrize("text", ["2026-W99", "2025-W53", "2026-W00", "garbage", "2026-47",
                                  "2026-W4", ""])
def test_parse_week_rejects_what_is_not_an_iso_week(text):
    with pytest.raises(cli.UsageError):
        parse_week(text)


def test_last_complete_week():
    # A week is complete at the Monday 00:00 that ends it.
    assert last_complete_week(datetime(2026, 11, 23, 0, 0)) == "2026-W47"
    assert last_complete_week(datetime(2026, 11, 22, 23, 59)) == "2026-W46"
    assert last_complete_week(datetime(2026, 11, 29, 12, 0)) == "2026-W47"
    # Across years: 2026-W53 ends on Monday 2027-01-04; 2025 has 52 weeks.
    assert last_complete_week(datetime(2027, 1, 4)) == "2026-W53"
    assert last_complete_week(datetime(2026, 1, 1)) == "2025-W52"
    # An aware time is taken in UTC: 01:00 on Monday in UTC+2 is still Sunday in UTC.
    plus_two = timezone(timedelta(hours=2))
    assert last_complete_week(datetime(2026, 11, 23, 1, 0, tzinfo=plus_two)) == "2026-W46"
    assert last_complete_week() == last_complete_week(datetime.now(UTC))


# --- the per-model report ---------------------------------------------------------------

def test_per_model_csv_is_exactly_as_worked_out(warehouse):
    csv = to_csv(report(warehouse)).decode()
    lines = csv.split("\n")
    assert lines[0] == HEADER
    assert lines[1:] == [*MODEL_ROWS, ""]          # one "\n" after the last row
    assert "\r" not in csv


def test_frame_has_the_exact_columns_and_typed_values(warehouse):
    frame = report(warehouse)
    assert frame.columns == list(COLUMNS)
    assert frame.schema["requests"] == pl.Int64
    assert frame.schema["availability_slo_met"] == pl.Boolean
    assert frame.schema["availability"] == pl.Float64
    m1 = frame.row(0, named=True)
    assert m1["availability"] == pytest.approx(0.98)
    assert m1["latency_p95_ms"] == pytest.approx(250 + 250 * 50 / 140)
    assert m1["change_failure_rate"] == pytest.approx(2 / 3)
    # Undefined values are nulls in the frame (empty cells in the CSV), not 0 or NaN.
    m5 = frame.filter(pl.col("model_id") == "m5").row(0, named=True)
    assert m5["availability"] is None and m5["latency_p50_ms"] is None
    assert m5["availability_slo_met"] is None and m5["cost_per_1k_requests"] is None
    assert m5["mttr_minutes"] is None and m5["change_failure_rate"] is None


def test_only_models_that_existed_during_the_week(warehouse):
    models = report(warehouse)["model_id"].to_list()
    # m3 created mid-week and m4 retired exactly at the start are in; m6 created exactly
    # at the end and m7 retired before the start are out.
    assert models == ["m1", "m2", "m3", "m4", "m5"]
    with reading(warehouse) as con:
        assert weekly_report(con, "2026-W48")["model_id"].to_list() == ["m1", "m2", "m3",
                                                                       "m5", "m6"]
        # Sorted by business unit first: m7 (bu-a) before m5 (bu-b).
        assert weekly_report(con, "2025-W01")["model_id"].to_list() == ["m7", "m5"]


def test_formats_are_plain(warehouse, make_warehouse):
    # A big number, with no thousands separator and no exponent.
    tables = {k: v for k, v in TABLES.items() if k not in ("metrics_hourly", "costs_daily")}
    tables["metrics_hourly"] = [metrics("m1", "2026-11-17 10:00:00", 12_345_678, 1, [0])]
    tables["costs_daily"] = [{"model_id": "m1", "day": "2026-11-17", "category": "compute",
                              "amount_usd": 1_234_567.5}]
    row = report(make_warehouse(tables)).head(1)
    line = to_csv(row).decode().split("\n")[1].split(",")
    cells = dict(zip(HEADER.split(","), line))
    assert cells["requests"] == "12345678"
    assert cells["cost_usd"] == "1234567.5"
    # 1 - 1/12345678 = 0.99999991899999..., to 12 significant digits
    assert cells["availability"] == "0.999999919"
    # 1234567.5 / 12345678 * 1000 = 99.999975699998..., to 12 significant digits
    assert cells["cost_per_1k_requests"] == "99.9999757"
    assert cells["latency_p95_ms"] == "10000"
    csv = to_csv(report(warehouse)).decode()
    assert "%" not in csv and "e-" not in csv and "e+" not in csv


def test_csv_injection_guard():
    frame = pl.DataFrame({
        "text": ["=1+1", "+1", "-2", "@x", "\tx", "\rx", "a-b", "plain", None, "'q"],
        "number": [-1.5, -2.0, 0.0, -0.0, 1.0, 2.0, 3.0, 4.0, None, 5.0],
    })
    lines = to_csv(frame).decode().split("\n")
    assert lines[:9] == ["text,number", "'=1+1,-1.5", "'+1,-2", "'-2,0", "'@x,0", "'\tx,1",
                         "\"'\rx\",2", "a-b,3", "plain,4"]
    assert lines[9:] == [",", "'q,5", ""]


def test_csv_injection_guard_line_feed_semicolon_and_full_width_signs():
    """OWASP's current list adds line feed; a `;` splits the cell in a spreadsheet whose
    list separator is `;`, so such a field is quoted; Japanese Excel evaluates the
    full-width ＝ ＋ － ＠ as formulas."""
    frame = pl.DataFrame({
        "team": ["\n=1+2", "a;=1+2", "\uff1d1+1", "\uff0b1", "\uff0d2", "\uff20x", "x\uff1d1",
                 "", None, 'say "hi"', "a,b"],
        "n": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    })
    assert to_csv(frame).decode() == (
        "team,n\n"
        "\"'\n=1+2\",1\n"
        "\"a;=1+2\",2\n"
        "'\uff1d1+1,3\n"
        "'\uff0b1,4\n"
        "'\uff0d2,5\n"
        "'\uff20x,6\n"
        "x\uff1d1,7\n"
        "\"\",8\n"
        ",9\n"
        "\"say \"\"hi\"\"\",10\n"
        "\"a,b\",11\n"
    )


# --- grouping ---------------------------------------------------------------------------

TEAM_COLUMNS = [c for c in COLUMNS if c not in (
    "model_id", "model", "lifecycle_stage", "risk_tier", "slo_availability",
    "slo_latency_p95_ms")]


def test_group_by_team_sums_first_then_computes_ratios(warehouse):
    frame = report(warehouse, group_by="team")
    assert frame.columns == TEAM_COLUMNS
    assert frame["team_id"].to_list() == ["t1", "t2", "t3"]
    lines = to_csv(frame).decode().split("\n")
    assert lines[0] == ",".join(TEAM_COLUMNS)
    # t1 = m1 + m2: 2100 requests, 45 errors -> 2055/2100; 1 of 2 models met each SLO;
    # allowed errors 0.01*2000 + 0.1*100 = 30 -> 45/30 = 1.5; merged buckets
    # 200, 400, 700, 1200, 1800, 1950, 2090, 2100: p50 25 + 25*350/500 = 42.5,
    # p95 250 + 250*45/140, p99 250 + 250*129/140; incidents 3 (sev1/2: 2);
    # MTTR (60 + 120 + 3240) / 3 = 1140; 4 deployments, 2 failed; cost 101.8,
    # per 1k 101.8/2100*1000; value 480, net 378.2; drift 1; dq 3/5.
    assert lines[1] == ("2026-W47,bu-a,Retail,t1,Search,2100,45,0.978571428571,1,1.5,42.5,"
                        "330.357142857,480.357142857,1,3,2,1140,4,2,0.5,101.8,48.4761904762,"
                        "480,378.2,1,0.6" ",0,0,0,0")
    # t2 = m3 alone: its own numbers, SLO verdicts as counts.
    assert lines[2] == ("2026-W47,bu-a,Retail,t2,Pricing,1000,1,0.999,1,1,2.77777777778,"
                        "10000,10000,0,1,1,,1,1,1,0.3,0.3,1,0.7,1," ",0,0,0,0")
    # t3 = m4 + m5: no requests; SLO-met counts are 0, not empty.
    assert lines[3] == ("2026-W47,bu-b,Risk,t3,Fraud,0,0,,0,,,,,0,0,0,,0,0,,10,,0,-10,0,0"
                        ",,0,0,0")

    t1 = frame.row(0, named=True)
    models = report(warehouse).filter(pl.col("team_id") == "t1")
    # The aggregation rule, in the case built for it: not the mean of the models.
    assert t1["availability"] == pytest.approx(1 - 45 / 2100)
    assert t1["availability"] != pytest.approx(models["availability"].mean())  # 0.965
    assert t1["mttr_minutes"] != pytest.approx(models["mttr_minutes"].mean())  # 1665
    assert t1["dq_pass_rate"] != pytest.approx(models["dq_pass_rate"].mean())  # 0.75
    assert t1["error_budget_consumed"] != pytest.approx(
        models["error_budget_consumed"].mean())                                 # 1.25


def test_group_by_business_unit(warehouse):
    frame = report(warehouse, group_by="business_unit")
    assert frame.columns == [c for c in TEAM_COLUMNS if c not in ("team_id", "team")]
    lines = to_csv(frame).decode().split("\n")
    # bu-a = m1 + m2 + m3: 3100 requests, 46 errors; allowed 20 + 10 + 1 = 31;
    # merged buckets 1100, 1300, 1600, 2100, 2700, 2850, 2990, 3000 (x4), total 3100:
    # p50 rank 1550: 10 + 15*250/300 = 22.5; p95 rank 2945: 250 + 250*95/140;
    # p99 rank 3069 > 3000: +Inf -> 10000; 5 deployments, 3 failed; cost 102.1.
    assert lines[1:] == [
        ("2026-W47,bu-a,Retail,3100,46,0.985161290323,2,1.48387096774,22.5,419.642857143,10000,"
         "1,4,3,1140,5,3,0.6,102.1,32.935483871,481,378.9,2,0.6" ",0,0,0,0"),
        ("2026-W47,bu-b,Risk,0,0,,0,,,,,0,0,0,,0,0,,10,,0,-10,0,0" ",,0,0,0"),
        "",
    ]


def test_filters_by_business_unit_and_team(warehouse):
    assert report(warehouse, business_units=["bu-b"])["model_id"].to_list() == ["m4", "m5"]
    assert report(warehouse, teams=["t2"])["model_id"].to_list() == ["m3"]
    empty = report(warehouse, business_units=["bu-a"], teams=["t3"])
    assert empty.height == 0
    assert to_csv(empty) == (HEADER + "\n").encode()     # a quiet scope: just the header


def test_unknown_ids_and_empty_warehouse_are_errors(warehouse, make_warehouse):
    with pytest.raises(cli.UsageError, match="unknown business unit id: nope"):
        report(warehouse, business_units=["bu-a", "nope"])
    with pytest.raises(cli.UsageError, match="unknown team ids: x, y"):
        report(warehouse, teams=["y", "x"])
    with pytest.raises(WarehouseError, match="no models"):
        report(make_warehouse({}))


# --- split by business unit -------------------------------------------------------------

def test_split_by_business_unit_writes_one_file_each(warehouse, tmp_path, capsysbinary):
    out_dir = tmp_path / "out"
    status, out, err = run_cli(["--week", WEEK, "--split-by", "business_unit",
                                "--out-dir", str(out_dir), "--warehouse", str(warehouse)],
                               capsysbinary)
    assert status == 0, err
    files = sorted(p.name for p in out_dir.iterdir())
    assert files == ["weekly-2026-W47-bu-a.csv", "weekly-2026-W47-bu-b.csv"]
    a = (out_dir / "weekly-2026-W47-bu-a.csv").read_text().split("\n")
    b = (out_dir / "weekly-2026-W47-bu-b.csv").read_text().split("\n")
    assert a == [HEADER, *MODEL_ROWS[:3], ""]
    assert b == [HEADER, *MODEL_ROWS[3:], ""]
    assert out.decode().split() == [str(out_dir / f) for f in files]


def test_split_with_grouping_matches_write_split(warehouse, tmp_path):
    frame = report(warehouse, group_by="team")
    paths = write_split(frame, tmp_path, WEEK)
    assert [p.name for p in paths] == ["weekly-2026-W47-bu-a.csv", "weekly-2026-W47-bu-b.csv"]
    assert paths[0].read_bytes() == to_csv(frame.filter(pl.col("business_unit_id") == "bu-a"))
    assert paths[1].read_bytes() == to_csv(frame.filter(pl.col("business_unit_id") == "bu-b"))


def test_split_file_names_are_sanitised():
    assert split_file_name(WEEK, "bu-a") == "weekly-2026-W47-bu-a.csv"
    unsafe = split_file_name(WEEK, "../etc/x y")
    assert "/" not in unsafe and " " not in unsafe
    assert unsafe.startswith("weekly-2026-W47-.._etc_x_y-") and unsafe.endswith(".csv")
    # Distinct ids never share a file, even when they sanitise alike.
    assert split_file_name(WEEK, "a/b") != split_file_name(WEEK, "a_b")
    assert split_file_name(WEEK, "a/b") != split_file_name(WEEK, "a:b")


# --- the CLI ----------------------------------------------------------------------------

def test_cli_stdout_is_byte_identical_to_to_csv(warehouse, capsysbinary):
    for group_by in ("model", "team", "business_unit"):
        status, out, err = run_cli(["--week", WEEK, "--group-by", group_by, "--out", "-",
                                    "--warehouse", str(warehouse)], capsysbinary)
        assert status == 0 and err == ""
        assert out == to_csv(report(warehouse, group_by=group_by))
    # stdout is also the default, and the filters pass through.
    status, out, _ = run_cli(["--week", WEEK, "--business-unit", "bu-b", "--team", "t3",
                              "--warehouse", str(warehouse)], capsysbinary)
    assert status == 0
    assert out == to_csv(report(warehouse, business_units=["bu-b"], teams=["t3"]))


def test_cli_out_file(warehouse, tmp_path, capsysbinary):
    target = tmp_path / "weekly.csv"
    status, out, err = run_cli(["--week", "2026-w47", "--out", str(target),
                                "--warehouse", str(warehouse)], capsysbinary)
    assert (status, out, err) == (0, b"", "")
    assert target.read_bytes() == to_csv(report(warehouse))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")) == []


def test_cli_default_week_is_the_last_complete_one(warehouse, capsysbinary):
    status, out, _ = run_cli(["--warehouse", str(warehouse)], capsysbinary)
    assert status == 0
    week = last_complete_week()
    assert out.decode().split("\n")[1].startswith(f"{week},")
    status, again, _ = run_cli(["--last-complete-week", "--warehouse", str(warehouse)],
                               capsysbinary)
    assert again == out


@pytest.mark.parametrize("args, message", [
    (["--week", "2026-W99"], "no ISO week 99 in 2026"),
    (["--week", "garbage"], "not an ISO week like 2026-W47: 'garbage'"),
    (["--week", WEEK, "--business-unit", "nope"], "unknown business unit id: nope"),
    (["--week", WEEK, "--team", "nope"], "unknown team id: nope"),
    (["--split-by", "business_unit"], "--split-by needs --out-dir"),
])
def test_cli_errors_are_one_line_and_exit_2(warehouse, capsysbinary, args, message):
    status, out, err = run_cli([*args, "--warehouse", str(warehouse)], capsysbinary)
    assert status == 2
    assert out == b""
    assert err.count("\n") == 1 and err.endswith("\n")
    assert err.startswith("modelops report: ") and message in err


def test_cli_empty_or_missing_warehouse_exit_2(make_warehouse, tmp_path, capsysbinary):
    for path in (make_warehouse({}), tmp_path / "missing.duckdb"):
        status, out, err = run_cli(["--week", WEEK, "--warehouse", str(path)], capsysbinary)
        assert status == 2 and out == b""
        assert err.count("\n") == 1 and err.startswith("modelops report: ")
        assert "Traceback" not in err


def test_installed_command_writes_the_same_bytes(warehouse):
    """The real `modelops` entry point, in a subprocess."""
    exe = Path(sys.executable).parent / "modelops"
    if not exe.exists():
        pytest.skip("modelops is not installed in this environment")
    result = subprocess.run(
        [str(exe), "report", "weekly", "--week", WEEK, "--out", "-"],
        capture_output=True, env={**os.environ, "MODELOPS_WAREHOUSE": str(warehouse)},
        timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == to_csv(report(warehouse))
    bad = subprocess.run([str(exe), "report", "weekly", "--week", "2026-W99"],
                         capture_output=True, text=True,
                         env={**os.environ, "MODELOPS_WAREHOUSE": str(warehouse)}, timeout=60,
                         check=False)
    assert bad.returncode == 2
    assert bad.stderr == "modelops report: no ISO week 99 in 2026: '2026-W99'\n"


# --- scale ------------------------------------------------------------------------------

def test_weekly_csv_covers_2000_models(tmp_path):
    """One row per model at the scale of a large company. (Its speed is measured by the
    benchmark, tests/bench/run.py, not asserted here.) The warehouse is filled with SQL
    straight into its tables: loading ~100k rows through ingest would dominate the test."""
    from modelops.warehouse import writing

    path = tmp_path / "big.duckdb"
    buckets = ", ".join(f"(requests * {min(1.0, 0.3 + 0.07 * k)})::BIGINT"
                        for k in range(len(LATENCY_BUCKETS)))
    with writing(path) as con:
        for sql in [
            "INSERT INTO business_units SELECT 'bu' || i, 'BU ' || i FROM range(8) t(i)",
            ("INSERT INTO teams (team_id, name, business_unit_id, lead)"
             " SELECT 't' || i, 'Team ' || i, 'bu' || (i % 8), NULL"
             " FROM range(40) t(i)"),
            ("INSERT INTO models (model_id, name, team_id, risk_tier, lifecycle_stage,"
             " slo_availability, slo_latency_p95_ms, created_at)"
             " SELECT 'm' || i, 'Model ' || i, 't' || (i % 40), 'high', 'production', 0.99, 250,"
             " TIMESTAMP '2026-01-01' FROM range(2000) t(i)"),
            (f"INSERT INTO metrics_daily SELECT model_id, day, requests, errors, {buckets} FROM ("
             " SELECT 'm' || i AS model_id, DATE '2026-10-26' + d::INTEGER AS day,"
             " 1000 + (i * 7 + d * 13) % 5000 AS requests, (i + d) % 17 AS errors"
             " FROM range(2000) a(i), range(35) b(d)) ORDER BY day, model_id"),
            ("INSERT INTO costs_daily SELECT 'm' || i, DATE '2026-10-26' + d::INTEGER, c, '',"
             " 1.25 + (i % 7) * 0.1 FROM range(2000) a(i), range(35) b(d),"
             " (VALUES ('compute'), ('storage')) v(c)"),
            ("INSERT INTO business_value_daily SELECT 'm' || i, DATE '2026-10-26' + d::INTEGER,"
             " 10.5 FROM range(2000) a(i), range(35) b(d)"),
            ("INSERT INTO incidents (incident_id, model_id, severity, title, started_at,"
             " resolved_at, deployment_id) SELECT 'i' || j, 'm' || (j % 2000), 1 + j % 4, 't',"
             " TIMESTAMP '2026-10-26' + j * INTERVAL 5 MINUTE,"
             " TIMESTAMP '2026-10-26' + j * INTERVAL 5 MINUTE + INTERVAL 90 MINUTE,"
             " CASE WHEN j % 3 = 0 THEN 'd' || j END FROM range(10000) t(j)"),
            ("INSERT INTO deployments (deployment_id, model_id, version, environment,"
             " deployed_at, outcome) SELECT 'd' || j, 'm' || (j % 2000), 'v', 'production',"
             " TIMESTAMP '2026-10-26' + j * INTERVAL 3 MINUTE,"
             " CASE WHEN j % 9 = 0 THEN 'failed' ELSE 'succeeded' END FROM range(16000) t(j)"),
            ("INSERT INTO drift SELECT 'm' || i, 'f' || f,"
             " TIMESTAMP '2026-10-26' + d::INTEGER * INTERVAL 1 DAY, 'psi',"
             " ((i + d + f) % 10) / 20, 0.25 FROM range(2000) a(i), range(35) b(d), range(3) c(f)"),
            ("INSERT INTO data_quality (check_run_id, model_id, pipeline, check_name, run_at,"
             " status) SELECT 'q' || i || '-' || d, 'm' || i, 'p', 'c',"
             " TIMESTAMP '2026-10-26' + d::INTEGER * INTERVAL 1 DAY,"
             " CASE WHEN (i + d) % 10 = 0 THEN 'fail' ELSE 'pass' END"
             " FROM range(2000) a(i), range(35) b(d)"),
        ]:
            con.execute(sql)

    with reading(path) as con:
        csv = to_csv(weekly_report(con, WEEK))
    assert csv.count(b"\n") == 2001


# --- issue 14: the columns appended for the weekly review ----------------------------------

def test_review_columns_are_appended_after_every_earlier_one():
    assert COLUMNS[:32] == tuple(HEADER.split(",")[:32])
    assert COLUMNS[-4:] == ("rework_rate", "open_action_items", "overdue_action_items",
                            "pages")


def test_review_columns_per_model_team_and_business_unit(make_warehouse):
    def item(item_id, model_id, team_id, due=None, closed=None):
        return {"action_item_id": item_id, "incident_id": None, "model_id": model_id,
                "team_id": team_id, "title": "x", "owner": "Ann", "priority": 2,
                "created_at": "2026-11-10 00:00:00", "due_at": due, "closed_at": closed}

    tables = {**TABLES, "deployments": [
        *TABLES["deployments"],
        {"deployment_id": "fix", "model_id": "m1", "version": "5", "environment": "production",
         "deployed_at": "2026-11-17 12:00:00", "outcome": "succeeded",
         "remediates_incident_id": "i1"},
    ], "action_items": [
        item("a1", "m1", "t1", due="2026-11-20 00:00:00"),            # open, overdue
        item("a2", "m1", "t1", due="2026-11-30 00:00:00"),            # open, not yet due
        item("a3", "m1", "t1", due="2026-11-12 00:00:00",
             closed="2026-11-18 00:00:00"),                           # closed: neither
        item("a4", None, "t1", due="2026-11-21 00:00:00"),            # no model: team rows
        item("a5", "m3", "t2", closed="2026-11-25 00:00:00"),         # closed after the week
    ], "oncall_pages": [
        {"page_id": "p1", "incident_id": "i1", "team_id": "t1", "responder": "Ann",
         "paged_at": "2026-11-17 10:05:00"},
        {"page_id": "p2", "incident_id": "i1", "team_id": "t1", "responder": "Bob",
         "paged_at": "2026-11-17 10:10:00"},
        {"page_id": "p3", "incident_id": "i5", "team_id": "t2", "responder": "Cy",
         "paged_at": "2026-11-21 01:05:00"},
        {"page_id": "p4", "incident_id": "i6", "team_id": "t1", "responder": "Ann",
         "paged_at": "2026-11-23 00:05:00"},                          # the week after
    ]}
    path = make_warehouse(tables)
    new = ["rework_rate", "open_action_items", "overdue_action_items", "pages"]
    with reading(path) as con:
        models = {r["model_id"]: r for r in weekly_report(con, WEEK).select(
            "model_id", *new).iter_rows(named=True)}
        teams = {r["team_id"]: r for r in weekly_report(con, WEEK, group_by="team").select(
            "team_id", *new).iter_rows(named=True)}
        units = {r["business_unit_id"]: r for r in weekly_report(
            con, WEEK, group_by="business_unit").select(
            "business_unit_id", *new).iter_rows(named=True)}
    # m1: 4 production deployments, 1 remediates i1; items a1, a2 open, a1 overdue; p1, p2
    assert models["m1"] == {"model_id": "m1", "rework_rate": 0.25, "open_action_items": 2,
                            "overdue_action_items": 1, "pages": 2}
    assert models["m3"] == {"model_id": "m3", "rework_rate": 0.0, "open_action_items": 1,
                            "overdue_action_items": 0, "pages": 1}
    assert models["m4"]["rework_rate"] is None                 # no deployments: undefined
    # t1 = m1 + m2 deployments (5, 1 rework); its items include a4, which names no model
    assert teams["t1"] == {"team_id": "t1", "rework_rate": 0.2, "open_action_items": 3,
                           "overdue_action_items": 2, "pages": 2}
    assert units["bu-a"] == {"business_unit_id": "bu-a", "rework_rate": 1 / 6,
                             "open_action_items": 4, "overdue_action_items": 2, "pages": 3}


# --- the spreadsheet for people (--format xlsx) -------------------------------------------

def read_xlsx(path: Path) -> dict[str, list[list]]:
    """Every sheet as rows of cells (value, number format)."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    return {sheet.title: [[(c.value, c.number_format) for c in row] for row in sheet.rows]
            for sheet in book.worksheets}


def test_xlsx_has_human_headers_kpis_first_formats_and_the_csv_values(warehouse, tmp_path,
                                                                      capsysbinary):
    out = tmp_path / "people.xlsx"
    status, _, _ = run_cli(["--week", WEEK, "--format", "xlsx", "--out", str(out),
                                 "--warehouse", str(warehouse)], capsysbinary)
    assert status == 0 and out.exists()
    (_, rows), = read_xlsx(out).items()
    headers = [h for h, _ in rows[0]]
    # The row's name first, then the KPIs; what describes the row, the week and ids last.
    assert headers[:4] == ["Model", "Requests", "Errors", "Availability"]
    assert headers[-3:] == ["Business unit id", "Team id", "Model id"]
    assert headers.index("ISO week") > headers.index("Data-quality pass rate")
    assert "MTTR" in headers and "mttr_minutes" not in headers
    csv = report(warehouse)
    by_id = {row[headers.index("Model id")][0]: dict(zip(headers, row)) for row in rows[1:]}
    assert set(by_id) == set(csv["model_id"])
    m1 = by_id["m1"]
    expected = csv.filter(pl.col("model_id") == "m1").row(0, named=True)
    # Values stay numbers; the format makes them read as percentages, ms, dollars, hours.
    assert m1["Availability"] == (pytest.approx(expected["availability"]), "0.000%")
    assert m1["Error budget consumed"][1] == "0.0%"
    assert m1["Latency p95"] == (pytest.approx(expected["latency_p95_ms"]), '#,##0" ms"')
    assert m1["Cost"][1] == '"$"#,##0.00'
    assert m1["Requests"] == (expected["requests"], "#,##0")
    if expected["mttr_minutes"] is not None:
        assert m1["MTTR"] == (pytest.approx(expected["mttr_minutes"] / 60), '#,##0.0" h"')
    assert m1["Availability SLO met"][0] in ("met", "missed")
    # A formula-looking name is text, never a formula.
    assert by_id["m2"]["Model"][0] == HYPERLINK
    # The header row is bold in its cells, with a filter over the whole table.
    import openpyxl
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert all(cell.font.b for cell in sheet[1])
    (table,) = sheet.tables.values()
    assert table.autoFilter.ref == table.ref == sheet.dimensions


def test_the_csv_and_xlsx_names_carry_week_grouping_and_scope():
    from modelops.reports.weekly import xlsx_file_name
    assert xlsx_file_name("2026-w47", "team", ["retail"], [], "csv") == \
        "modelops-weekly-2026-W47-team-retail.csv"
    assert xlsx_file_name("2026-W47") == "modelops-weekly-2026-W47-model-all.xlsx"


def test_xlsx_grouped_counts_sit_beside_their_model_count(warehouse, tmp_path, capsysbinary):
    out = tmp_path / "teams.xlsx"
    status, _, _ = run_cli(["--week", WEEK, "--format", "xlsx", "--group-by", "team",
                            "--out", str(out), "--warehouse", str(warehouse)], capsysbinary)
    assert status == 0
    (_, rows), = read_xlsx(out).items()
    headers = [h for h, _ in rows[0]]
    met = headers.index("Availability SLO met (models)")
    assert headers[met + 1] == "Models with traffic (availability)"
    assert headers[headers.index("Latency SLO met (models)") + 1] == \
        "Models with traffic (latency)"
    search = next(dict(zip(headers, r)) for r in rows[1:] if r[0][0] == "Search")
    # t1 "Search": m1 and m2 both served requests.
    assert search["Models with traffic (availability)"][0] == 2
    assert search["Availability SLO met (models)"][1] == "#,##0"


def test_xlsx_split_by_business_unit_is_one_sheet_each_and_the_name_carries_the_scope(
        warehouse, tmp_path, capsysbinary):
    status, stdout, _ = run_cli(["--week", WEEK, "--format", "xlsx", "--group-by", "team",
                                 "--split-by", "business_unit", "--out-dir", str(tmp_path),
                                 "--business-unit", "bu-a", "--business-unit", "bu-b",
                                 "--warehouse", str(warehouse)], capsysbinary)
    assert status == 0
    path = Path(stdout.decode().strip())
    assert path.name == f"modelops-weekly-{WEEK}-team-bu-a-bu-b-by-business-unit.xlsx"
    sheets = read_xlsx(path)
    assert list(sheets) == ["Retail", "Risk"]
    assert {r[0][0] for r in sheets["Risk"][1:]} == {"Fraud"}


def test_xlsx_file_name_carries_week_grouping_and_scope():
    from modelops.reports.weekly import xlsx_file_name

    assert xlsx_file_name("2026-w47", "team", ["retail"]) == \
        "modelops-weekly-2026-W47-team-retail.xlsx"
    assert xlsx_file_name(WEEK) == f"modelops-weekly-{WEEK}-model-all.xlsx"
    assert "/" not in xlsx_file_name(WEEK, "model", ["../etc"])


def test_the_csv_is_unchanged_by_the_xlsx_option(warehouse, capsysbinary):
    _, plain, _ = run_cli(["--week", WEEK, "--warehouse", str(warehouse)], capsysbinary)
    _, explicit, _ = run_cli(["--week", WEEK, "--format", "csv", "--warehouse",
                              str(warehouse)], capsysbinary)
    assert plain == explicit
    assert plain.decode().splitlines()[0] == HEADER


# --- files it writes (issue 24, items 13 and 14) ------------------------------------------

def test_a_planted_partial_symlink_is_not_followed(warehouse, tmp_path, capsysbinary):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "weekly.csv"
    planted = tmp_path / ".weekly.csv.partial"  # the name the write used to take
    planted.symlink_to(victim)
    status, _out, err = run_cli(["--week", WEEK, "--out", str(target),
                                "--warehouse", str(warehouse)], capsysbinary)
    assert (status, err) == (0, "")
    assert victim.read_text() == "precious"
    assert target.read_bytes() == to_csv(report(warehouse)) and not target.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".weekly.csv.partial", "victim.txt", "weekly.csv"]


def test_out_may_not_be_the_warehouse_or_its_wal(warehouse, tmp_path, capsysbinary):
    before = warehouse.read_bytes()
    link = tmp_path / "report.csv"
    link.symlink_to(warehouse)
    for out, what in ((warehouse, "the warehouse"), (f"{warehouse}.wal", "its write-ahead log"),
                      (link, "the warehouse")):
        for fmt in ("csv", "xlsx"):
            status, stdout, err = run_cli(["--week", WEEK, "--format", fmt, "--out", str(out),
                                           "--warehouse", str(warehouse)], capsysbinary)
            assert (status, stdout) == (2, b"")
            assert err == (f"modelops report: {out}: this is {what}; choose another "
                           "output file\n")
    assert warehouse.read_bytes() == before
    assert not Path(f"{warehouse}.wal").exists() and link.is_symlink()
