"""Ingest: every contract rule, upsert semantics, atomicity, file formats, the CLI."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from modelops.cli import main as cli
from modelops.warehouse import ingest, reading, writing
from modelops.warehouse.ingest import ingest_file
from modelops.warehouse.schema import LATENCY_BUCKETS

BU = "business_unit_id,name\nbu1,Retail\n"
TEAMS = "team_id,name,business_unit_id\nt1,Search,bu1\n"
VENDORS = "vendor_id,name,kind,sla_availability\nv1,Cloud,cloud,0.999\n"
MODEL_HEADER = "model_id,name,team_id,risk_tier,lifecycle_stage,created_at,retired_at"
MODELS = MODEL_HEADER + "\nm1,Churn,t1,high,production,2026-01-01T00:00:00Z,\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def base(tmp_path):
    """A warehouse with one business unit, team, vendor and model."""
    wh = tmp_path / "wh.duckdb"
    with writing(wh) as con:
        for name, text in [("business_units.csv", BU), ("teams.csv", TEAMS),
                           ("vendors.csv", VENDORS), ("models.csv", MODELS)]:
            assert ingest_file(con, write(tmp_path, name, text)).status == "loaded"
    return wh


def load(wh: Path, path: Path, entity=None):
    with writing(wh) as con:
        return ingest_file(con, path, entity=entity)


def table(wh: Path, sql: str, params=None) -> list[tuple]:
    with reading(wh) as con:
        return con.execute(sql, params).fetchall()


def metrics_row(hour="2026-11-02T10:00:00Z", requests=100, errors=1, buckets=None, model="m1"):
    buckets = buckets or [10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100]
    return ",".join([model, hour, str(requests), str(errors), *map(str, buckets)])


METRICS_HEADER = "model_id,hour,requests,errors," + ",".join(LATENCY_BUCKETS)


# --- one bad row per rule ---------------------------------------------------------------

RULE_CASES = [
    # (entity file, header, bad row, expected reason fragment)
    ("teams.csv", "team_id,name,business_unit_id", "t9,Ops,bu404",
     "business_unit_id: unknown business_unit_id bu404"),
    ("teams.csv", "team_id,name,business_unit_id", "t9,,bu1", "name: required"),
    ("vendors.csv", "vendor_id,name,kind,sla_availability", "v9,X,spaceship,0.9",
     "kind: spaceship is not one of"),
    ("vendors.csv", "vendor_id,name,kind,sla_availability", "v9,X,cloud,0",
     "sla_availability: must be in (0, 1]"),
    ("models.csv", MODEL_HEADER + ",slo_availability",
     "m9,X,t1,high,production,2026-01-01,,1.0", "slo_availability: must be in (0, 1)"),
    ("models.csv", MODEL_HEADER, "m9,X,t1,extreme,production,2026-01-01,",
     "risk_tier: extreme is not one of minimal, limited, high"),
    ("models.csv", MODEL_HEADER, "m9,X,t1,high,live,2026-01-01,",
     "lifecycle_stage: live is not one of"),
    ("models.csv", MODEL_HEADER, "m9,X,t1,high,production,yesterday,",
     "created_at: not a valid timestamp: yesterday"),
    ("models.csv", MODEL_HEADER, "m9,X,t1,high,retired,2026-03-01,2026-02-01",
     "retired_at is before created_at"),
    ("models.csv", MODEL_HEADER + ",vendor_id", "m9,X,t1,high,production,2026-01-01,,v404",
     "vendor_id: unknown vendor_id v404"),
    ("models.csv", MODEL_HEADER + ",slo_latency_p95_ms",
     "m9,X,t1,high,production,2026-01-01,,-5", "slo_latency_p95_ms: must be > 0"),
    ("model_versions.csv", "model_id,version,registered_at,artifact_sha256",
     "m1,1.0,2026-01-02,abc123", "artifact_sha256: must be 64 hex characters"),
    ("model_versions.csv", "model_id,version,registered_at", "m404,1.0,2026-01-02",
     "model_id: unknown model_id m404"),
    ("deployments.csv", "deployment_id,model_id,version,environment,deployed_at,outcome",
     "d1,m1,1.0,moon,2026-01-02,succeeded", "environment: moon is not one of"),
    ("deployments.csv", "deployment_id,model_id,version,environment,deployed_at,outcome",
     "d1,m1,1.0,production,2026-01-02,meh", "outcome: meh is not one of"),
    ("incidents.csv", "incident_id,model_id,severity,title,started_at",
     "i1,m1,5,Down,2026-01-02", "severity: must be 1 to 4 (got 5)"),
    ("incidents.csv", "incident_id,model_id,severity,title,started_at",
     "i1,m1,two,Down,2026-01-02", "severity: not a valid int: two"),
    ("incidents.csv", "incident_id,model_id,severity,title,started_at,detected_at",
     "i1,m1,2,Down,2026-01-02T10:00Z,2026-01-02T09:00Z", "detected_at is before started_at"),
    ("incidents.csv",
     "incident_id,model_id,severity,title,started_at,detected_at,acknowledged_at",
     "i1,m1,2,Down,2026-01-02T10:00Z,2026-01-02T10:05Z,2026-01-02T10:01Z",
     "acknowledged_at is before detected_at"),
    ("incidents.csv", "incident_id,model_id,severity,title,started_at,resolved_at",
     "i1,m1,2,Down,2026-01-02T10:00Z,2026-01-02T09:00Z", "resolved_at is before started_at"),
    ("incidents.csv", "incident_id,model_id,severity,title,started_at,root_cause",
     "i1,m1,2,Down,2026-01-02,gremlins", "root_cause: gremlins is not one of"),
    ("metrics_hourly.csv", METRICS_HEADER, metrics_row(errors=101), "errors exceed requests"),
    ("metrics_hourly.csv", METRICS_HEADER, metrics_row(requests=-1, errors=0),
     "requests: must be >= 0"),
    ("metrics_hourly.csv", METRICS_HEADER, metrics_row(hour="2026-11-02T10:30:00Z"),
     "hour: must be truncated to the hour"),
    ("metrics_hourly.csv", METRICS_HEADER,
     metrics_row(buckets=[10, 20, 30, 25, 50, 60, 70, 80, 90, 95, 100]),
     "latency_le_50ms is below latency_le_25ms"),
    ("metrics_hourly.csv", METRICS_HEADER,
     metrics_row(buckets=[10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 120]),
     "latency_le_10000ms exceeds requests"),
    ("costs_daily.csv", "model_id,day,category,vendor_id,amount_usd",
     "m1,2026-01-02,compute,,-3", "amount_usd: must be >= 0"),
    ("costs_daily.csv", "model_id,day,category,vendor_id,amount_usd",
     "m1,2026-01-02,snacks,,3", "category: snacks is not one of"),
    ("costs_daily.csv", "model_id,day,category,vendor_id,amount_usd",
     "m1,2026-13-02,compute,,3", "day: not a valid date: 2026-13-02"),
    ("business_value_daily.csv", "model_id,day,value_usd", "m1,2026-01-02,lots",
     "value_usd: not a valid float: lots"),
    ("drift.csv", "model_id,feature,measured_at,method,score,threshold",
     "m1,age,2026-01-02,psi,-0.1,0.2", "score: must be >= 0"),
    ("drift.csv", "model_id,feature,measured_at,method,score,threshold",
     "m1,age,2026-01-02,vibes,0.1,0.2", "method: vibes is not one of"),
    ("data_quality.csv",
     "check_run_id,model_id,pipeline,check_name,run_at,status,rows_checked,rows_failed",
     "c1,m1,p,nulls,2026-01-02,pass,10,11", "rows_failed exceeds rows_checked"),
    ("data_quality.csv", "check_run_id,model_id,pipeline,check_name,run_at,status",
     "c1,m1,p,nulls,2026-01-02,okay", "status: okay is not one of"),
    ("validations.csv",
     "validation_id,model_id,version,stage,run_at,metric,value,passed",
     "v1,m1,1.0,pre_deployment,2026-01-02,auc,0.8,maybe", "passed: not a valid bool: maybe"),
    ("validations.csv",
     "validation_id,model_id,version,stage,run_at,metric,value,passed",
     "v1,m1,1.0,canary,2026-01-02,auc,0.8,true", "stage: canary is not one of"),
    ("risk_assessments.csv",
     "assessment_id,model_id,assessed_at,risk_tier,assessor,outcome,next_review_due",
     "r1,m1,2026-01-02,high,ann,approved,soon", "next_review_due: not a valid date: soon"),
    ("risk_assessments.csv",
     "assessment_id,model_id,assessed_at,risk_tier,assessor,outcome,next_review_due",
     "r1,m1,2026-01-02,high,ann,maybe,2027-01-01", "outcome: maybe is not one of"),
    # Values DuckDB parses but the pages cannot use (issue 11.3): infinite or absurd times,
    # non-finite numbers.
    ("risk_assessments.csv",
     "assessment_id,model_id,assessed_at,risk_tier,assessor,outcome,next_review_due",
     "r1,m1,-infinity,high,ann,approved,2027-01-01",
     "assessed_at: outside 1970-01-01 .. 2199-12-31 (got -infinity)"),
    ("risk_assessments.csv",
     "assessment_id,model_id,assessed_at,risk_tier,assessor,outcome,next_review_due",
     "r1,m1,2026-01-02,high,ann,approved,infinity",
     "next_review_due: outside 1970-01-01 .. 2199-12-31 (got infinity)"),
    ("validations.csv",
     "validation_id,model_id,version,stage,run_at,metric,value,passed",
     "v1,m1,1.0,pre_deployment,-infinity,auc,0.8,true",
     "run_at: outside 1970-01-01 .. 2199-12-31 (got -infinity)"),
    ("validations.csv",
     "validation_id,model_id,version,stage,run_at,metric,value,passed",
     "v1,m1,1.0,pre_deployment,2026-01-02,auc,NaN,true", "value: must be a finite number"),
    ("validations.csv",
     "validation_id,model_id,version,stage,run_at,metric,value,passed,threshold",
     "v1,m1,1.0,pre_deployment,2026-01-02,auc,0.8,true,-inf",
     "threshold: must be a finite number"),
    ("business_value_daily.csv", "model_id,day,value_usd", "m1,2026-01-02,1e309",
     "value_usd: must be a finite number"),
    ("models.csv", MODEL_HEADER, "m9,X,t1,high,production,1969-12-31T23:59:59Z,",
     "created_at: outside 1970-01-01 .. 2199-12-31 (got 1969-12-31T23:59:59Z)"),
    ("incidents.csv", "incident_id,model_id,severity,title,started_at",
     "i1,m1,2,Down,2200-01-01T00:00:00Z",
     "started_at: outside 1970-01-01 .. 2199-12-31 (got 2200-01-01T00:00:00Z)"),
    ("incidents.csv", "incident_id,model_id,severity,title,started_at",
     "i1,m1,2,Down,2199-12-31T23:00:00-02:00",  # 2200-01-01 01:00 UTC
     "started_at: outside 1970-01-01 .. 2199-12-31 (got 2199-12-31T23:00:00-02:00)"),
    ("costs_daily.csv", "model_id,day,category,vendor_id,amount_usd",
     "m1,1969-12-31,compute,,3", "day: outside 1970-01-01 .. 2199-12-31 (got 1969-12-31)"),
    ("drift.csv", "model_id,feature,measured_at,method,score,threshold",
     "m1,age,9999-12-31T23:59:59Z,psi,0.1,0.2",
     "measured_at: outside 1970-01-01 .. 2199-12-31 (got 9999-12-31T23:59:59Z)"),
    # End before start (issue 11.4): a negative lead time.
    ("deployments.csv",
     "deployment_id,model_id,version,environment,deployed_at,outcome,committed_at",
     "d1,m1,1.0,production,2026-01-02T10:00:00Z,succeeded,2026-01-02T10:00:01Z",
     "deployed_at is before committed_at"),
    # Counts that cannot be summed safely (issue 18.5).
    ("metrics_hourly.csv", METRICS_HEADER,
     metrics_row(requests=9223372036854775807, errors=0),
     "requests: must be >= 0 and at most 10^15 (got 9223372036854775807)"),
    ("metrics_hourly.csv", METRICS_HEADER,
     metrics_row(requests=10**15 + 1, errors=0, buckets=[10**15 + 1] * 11),
     "requests: must be >= 0 and at most 10^15 (got 1000000000000001)"),
    ("data_quality.csv",
     "check_run_id,model_id,pipeline,check_name,run_at,status,rows_checked,rows_failed",
     "c1,m1,p,nulls,2026-01-02,pass,1000000000000001,0",
     "rows_checked: must be >= 0 and at most 10^15"),
    # Text longer than the contract's cap (issue 18.10).
    ("incidents.csv", "incident_id,model_id,severity,title,started_at",
     "i1,m1,2," + "x" * 4097 + ",2026-01-02", "title: longer than 4096 characters (4097)"),
    ("risk_assessments.csv",
     "assessment_id,model_id,assessed_at,risk_tier,assessor,outcome,next_review_due,notes",
     "r1,m1,2026-01-02,high,ann,approved,2027-01-01," + "\u00e9" * 5000,
     "notes: longer than 4096 characters (5000)"),
]


@pytest.mark.parametrize("name,header,bad,reason", RULE_CASES,
                         ids=[c[3].split(":")[0][:40] for c in RULE_CASES])
def test_a_row_breaking_a_rule_is_quarantined_with_its_reason(base, tmp_path, name, header,
                                                               bad, reason):
    good = _good_row(name, header)
    path = write(tmp_path, f"x-{name}", f"{header}\n{bad}\n{good}\n")
    result = load(base, path, entity=name.removesuffix(".csv"))
    assert (result.read, result.inserted, result.quarantined) == (2, 1, 1)
    assert result.status == "partial"
    rows = table(base, "SELECT file, line, reason, row_as_read FROM quarantine")
    assert len(rows) == 1
    file, line, why, row = rows[0]
    assert file == str(path) and line == 2
    assert reason in why
    assert json.loads(row)[header.split(",")[0]] == bad.split(",")[0]


def _good_row(name: str, header: str) -> str:
    """A valid row for the same header (key differs from the bad row's)."""
    good = {
        "teams.csv": "t8,Ops,bu1",
        "vendors.csv": "v8,X,cloud,0.9",
        "model_versions.csv": "m1,2.0,2026-01-02",
        "deployments.csv": "d8,m1,1.0,production,2026-01-02,succeeded",
        "costs_daily.csv": "m1,2026-01-03,compute,,3",
        "business_value_daily.csv": "m1,2026-01-03,5",
        "drift.csv": "m1,income,2026-01-02,psi,0.1,0.2",
        "data_quality.csv": "c8,m1,p,nulls,2026-01-02,pass",
        "validations.csv": "v8,m1,1.0,pre_deployment,2026-01-02,auc,0.8,true",
        "risk_assessments.csv": "r8,m1,2026-01-02,high,ann,approved,2027-01-01",
        "incidents.csv": "i8,m1,2,Slow,2026-01-02",
        "metrics_hourly.csv": metrics_row(hour="2026-11-02T11:00:00Z"),
        "models.csv": "m8,X,t1,high,production,2026-01-01,",
    }[name]
    # Pad with empty cells for extra optional columns in the header.
    missing = len(header.split(",")) - len(good.split(","))
    if name == "model_versions.csv" and missing:
        good += "," + "a" * 64
    else:
        good += "," * missing
    return good


def test_missing_required_column_rejects_the_whole_file(base, tmp_path):
    path = write(tmp_path, "teams.csv", "team_id,business_unit_id\nt2,bu1\n")
    result = load(base, path)
    assert result.status == "rejected"
    assert "missing required column(s): name" in result.message
    assert table(base, "SELECT count(*) FROM teams") == [(1,)]
    assert table(base, "SELECT status, file FROM load_log ORDER BY load_id DESC LIMIT 1") == [
        ("rejected", str(path))]


def test_unknown_columns_are_ignored_with_a_warning(base, tmp_path):
    path = write(tmp_path, "teams.csv", "team_id,name,business_unit_id,colour\nt2,Ops,bu1,red\n")
    result = load(base, path)
    assert result.status == "loaded" and result.inserted == 1
    assert result.warnings == ["ignored unknown column(s): colour"]


def test_unreadable_or_unknown_files_are_rejected_with_a_clear_message(base, tmp_path):
    assert "unknown entity 'widgets'" in load(base, write(tmp_path, "widgets.csv", "a\n1\n")).message
    assert "unsupported file type '.xlsx'" in load(base, write(tmp_path, "teams.xlsx", "x")).message
    broken = tmp_path / "teams.parquet"
    broken.write_bytes(b"not parquet at all")
    assert "cannot read the file" in load(base, broken).message
    assert load(base, tmp_path / "missing-teams.csv", entity="teams").status == "rejected"


# --- upsert -----------------------------------------------------------------------------

def test_reloading_the_same_file_changes_nothing(base, tmp_path):
    path = write(tmp_path, "metrics_hourly.csv", "\n".join([
        METRICS_HEADER, metrics_row("2026-11-02T10:00:00Z"), metrics_row("2026-11-02T11:00:00Z")]))
    first, second = load(base, path), load(base, path)
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2)
    assert table(base, "SELECT count(*) FROM metrics_hourly") == [(2,)]
    assert table(base, "SELECT requests, errors FROM metrics_daily") == [(200, 2)]


def test_a_newer_export_updates_the_row_by_key(base, tmp_path):
    header = "incident_id,model_id,severity,title,started_at,resolved_at"
    load(base, write(tmp_path, "incidents.csv", f"{header}\ni1,m1,2,Down,2026-11-02T10:00Z,\n"))
    later = load(base, write(tmp_path, "incidents-2.csv",
                             f"{header}\ni1,m1,2,Down,2026-11-02T10:00Z,2026-11-02T11:30Z\n"))
    assert (later.inserted, later.updated, later.unchanged) == (0, 1, 0)
    rows = table(base, "SELECT incident_id, resolved_at::VARCHAR FROM incidents")
    assert rows == [("i1", "2026-11-02 11:30:00")]


def test_a_key_repeated_in_one_file_keeps_the_last_row(base, tmp_path):
    path = write(tmp_path, "teams.csv",
                 "team_id,name,business_unit_id\nt2,First,bu1\nt2,Second,bu1\n")
    result = load(base, path)
    assert (result.inserted, result.quarantined) == (1, 1)
    assert table(base, "SELECT name FROM teams WHERE team_id = 't2'") == [("Second",)]
    assert "key repeated later in the file at line 3" in table(
        base, "SELECT reason FROM quarantine")[0][0]


def test_metrics_update_refreshes_the_daily_rollup(base, tmp_path):
    load(base, write(tmp_path, "metrics_hourly.csv",
                     f"{METRICS_HEADER}\n{metrics_row('2026-11-02T10:00:00Z')}\n"
                     f"{metrics_row('2026-11-02T23:00:00Z')}\n{metrics_row('2026-11-03T00:00:00Z')}\n"))
    load(base, write(tmp_path, "metrics_hourly-fix.csv",
                     f"{METRICS_HEADER}\n{metrics_row('2026-11-02T10:00:00Z', 300, 9, [300] * 11)}\n"))
    assert table(base, "SELECT day::VARCHAR, requests, errors, latency_le_5ms FROM metrics_daily"
                       " ORDER BY day") == [("2026-11-02", 400, 10, 310), ("2026-11-03", 100, 1, 10)]


def test_quarantined_rows_load_once_the_reference_exists(base, tmp_path):
    path = write(tmp_path, "teams.csv", "team_id,name,business_unit_id\nt2,Ops,bu2\n")
    assert load(base, path).quarantined == 1
    load(base, write(tmp_path, "business_units.csv", "business_unit_id,name\nbu2,Payments\n"))
    again = load(base, path)
    assert (again.inserted, again.quarantined) == (1, 0)
    assert table(base, "SELECT count(*) FROM quarantine") == [(0,)]


# --- formats and timestamps -------------------------------------------------------------

def test_timestamps_with_offsets_are_converted_to_utc(base, tmp_path):
    path = write(tmp_path, "incidents.csv", "incident_id,model_id,severity,title,started_at\n"
                 "i1,m1,2,A,2026-11-02T10:00:00+02:00\ni2,m1,2,B,2026-11-02T10:00:00\n")
    load(base, path)
    assert table(base, "SELECT incident_id, started_at::VARCHAR FROM incidents ORDER BY 1") == [
        ("i1", "2026-11-02 08:00:00"), ("i2", "2026-11-02 10:00:00")]


def test_parquet_and_json_lines_load_like_csv(base, tmp_path):
    frame = pl.DataFrame({"model_id": ["m1", "m1"], "day": ["2026-11-02", "2026-11-03"],
                          "value_usd": [10.5, -2.0]})
    frame.write_parquet(tmp_path / "business_value_daily.parquet")
    assert load(base, tmp_path / "business_value_daily.parquet").inserted == 2
    jsonl = write(tmp_path, "drift.jsonl", "\n".join([
        json.dumps({"model_id": "m1", "feature": "age", "measured_at": "2026-11-02T00:00:00Z",
                    "method": "psi", "score": 0.3, "threshold": 0.25}),
        "{broken",
        json.dumps(["not", "an", "object"]),
    ]) + "\n")
    result = load(base, jsonl)
    assert (result.inserted, result.quarantined) == (1, 2)
    assert [r[0] for r in table(base, "SELECT reason FROM quarantine ORDER BY line")] == [
        "not valid JSON (Expecting property name enclosed in double quotes)",
        "line is not a JSON object"]


def test_entity_comes_from_the_file_stem():
    assert ingest.entity_from_path("x/incidents-2026-11-17.parquet") == "incidents"
    assert ingest.entity_from_path("metrics_hourly.csv") == "metrics_hourly"


# --- atomicity --------------------------------------------------------------------------

def test_a_failure_mid_file_loads_nothing_of_it(base, tmp_path, monkeypatch):
    path = write(tmp_path, "metrics_hourly.csv",
                 f"{METRICS_HEADER}\n{metrics_row()}\n{metrics_row(errors=500)}\n")

    def explode(con):
        raise RuntimeError("injected failure after the rows were written")

    monkeypatch.setattr(ingest, "_refresh_metrics_daily", explode)
    with pytest.raises(RuntimeError, match="injected"):
        load(base, path)
    assert table(base, "SELECT count(*) FROM metrics_hourly") == [(0,)]
    assert table(base, "SELECT count(*) FROM quarantine") == [(0,)]
    assert table(base, "SELECT count(*) FROM load_log WHERE file = ?", [str(path)]) == [(0,)]


def test_kill_9_at_random_points_keeps_exactly_the_files_that_finished(base, tmp_path):
    """Ingest four files in one command and kill -9 it at random moments, again and again:
    each file's rows are all there or none, and there exactly when the load log says the
    file finished."""
    rows, files = 150_000, []
    for n in range(4):
        first = pl.datetime(2020, 1, 1) + pl.duration(hours=n * rows)
        pl.DataFrame({
            "model_id": ["m1"] * rows,
            "hour": pl.datetime_range(first, first + pl.duration(hours=rows - 1), "1h",
                                      eager=True),
            "requests": [10] * rows, "errors": [0] * rows,
            **{b: [10] * rows for b in LATENCY_BUCKETS},
        }).write_parquet(tmp_path / f"metrics_hourly-{n}.parquet")
        files.append(tmp_path / f"metrics_hourly-{n}.parquet")
    chance = random.Random(20261125)
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-m", "modelops.cli", "ingest", *map(str, files),
             "--warehouse", str(base)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.2, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        logged = {f for (f,) in table(
            base, "SELECT DISTINCT file FROM load_log WHERE status = 'loaded'")}
        for n, path in enumerate(files):
            first = datetime(2020, 1, 1) + timedelta(hours=n * rows)
            stored = table(base, "SELECT count(*) FROM metrics_hourly WHERE hour >= ? AND hour < ?",
                           [first, first + timedelta(hours=rows)])[0][0]
            assert stored in (0, rows), (path.name, stored)
            assert (stored == rows) == (str(path) in logged), (path.name, stored, logged)
    # Whatever was killed, loading again completes the set.
    assert cli(["ingest", *map(str, files), "--warehouse", str(base)]) == 0
    assert table(base, "SELECT count(*) FROM metrics_hourly") == [(4 * rows,)]


# --- the CLI ----------------------------------------------------------------------------

def test_cli_exit_status_says_what_happened(base, tmp_path, capsys):
    clean = write(tmp_path, "teams.csv", "team_id,name,business_unit_id\nt2,Ops,bu1\n")
    dirty = write(tmp_path, "teams-2.csv", "team_id,name,business_unit_id\nt3,Ops,bu404\n")
    broken = write(tmp_path, "teams-3.csv", "team_id\nt4\n")
    wh = ["--warehouse", str(base)]
    assert cli(["ingest", str(clean), *wh]) == 0
    assert cli(["ingest", str(dirty), *wh]) == 1
    assert cli(["ingest", str(broken), str(clean), *wh]) == 2
    out = capsys.readouterr().out
    assert "quarantined line 2: business_unit_id: unknown business_unit_id bu404" in out
    assert "REJECTED, nothing loaded: missing required column(s): name" in out
    assert cli(["quarantine", "--entity", "teams", *wh]) == 0
    assert "teams-2.csv:2\tbusiness_unit_id: unknown business_unit_id bu404" in (
        capsys.readouterr().out)


def test_cli_loads_files_in_reference_order_whatever_the_glob_order(tmp_path, capsys):
    files = [write(tmp_path, "teams.csv", TEAMS), write(tmp_path, "business_units.csv", BU)]
    assert cli(["ingest", *map(str, files), "--warehouse", str(tmp_path / "new.duckdb")]) == 0


def test_a_blank_key_in_json_lines_is_quarantined_not_a_crash(base, tmp_path):
    path = write(tmp_path, "incidents.jsonl", json.dumps(
        {"incident_id": " ", "model_id": "m1", "severity": 1, "title": "t",
         "started_at": "2026-11-02T10:00:00Z"}) + "\n")
    result = load(base, path)
    assert (result.inserted, result.quarantined) == (0, 1)
    assert result.reasons == ["line 1: incident_id: required"]
