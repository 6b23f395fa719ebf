"""Malformed and hostile files: ingest never crashes, every row is loaded or quarantined
with a reason, and the counts reconcile (read = inserted + updated + unchanged +
quarantined)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelops.warehouse import reading, writing
from modelops.warehouse.ingest import ingest_file
from modelops.warehouse.schema import ENTITIES, LATENCY_BUCKETS

# Derandomized: CI runs the same examples every time (a new random failure would block a
# landing for a reason unrelated to the change). Explore further by hand with
# MODELOPS_HYPOTHESIS_EXAMPLES=500 and a random seed.
EXAMPLES = int(os.environ.get("MODELOPS_HYPOTHESIS_EXAMPLES", "30"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 30,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

nasty_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "\x00", "\ufeffm1", "m1\x00", "=cmd|' /C calc'!A0", "NaN",
                     "inf", "-1", "1e309", "null", "None", "'; DROP TABLE incidents; --",
                     "<script>alert(1)</script>", "2026-11-02T10:00:00+14:00",
                     "2026-11-02T10:00:00-12:00", "2026-02-30", "9999-12-31T23:59:59Z",
                     # parsed by DuckDB, past the contract's bounds (issue 11.3, 18.5)
                     "infinity", "-infinity", "+Infinity", "-inf", "nan", "1969-12-31",
                     "2200-01-01T00:00:00Z", "9223372036854775807", "1000000000000001",
                     # at the bounds: admitted
                     "1970-01-01T00:00:00Z", "2199-12-31T23:59:59Z", "1000000000000000",
                     "\n=1+2", "a;=1+2", "\uff1d1+1"]),
    st.just("x" * 4_096), st.just("x" * 4_097),  # the text bound; 200 kB is tested below
)
model_ref = st.sampled_from(["m1", "m2", "m404", "", "M1"])
timestamp = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["2026-11-02T10:00:00Z", "2026-11-02T10:00:00+02:00",
                     "2026-11-02 10:00", "yesterday", "", "infinity", "-infinity",
                     "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "2199-12-31T23:59:59Z",
                     "2200-01-01T00:00:00Z", "2199-12-31T23:00:00-02:00"]),
    nasty_text,
)
count = st.one_of(st.integers(-5, 2_000).map(str), nasty_text,
                  st.sampled_from([str(2**63 - 1), str(10**15), str(10**15 + 1)]))
number = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str),
                   st.sampled_from(["NaN", "-nan", "inf", "-Infinity", "1e308", "1e309", "0"]),
                   nasty_text)


@pytest.fixture(scope="module")
def base_warehouse(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "base.duckdb"
    files = {
        "business_units.csv": "business_unit_id,name\nbu1,Retail\n",
        "teams.csv": "team_id,name,business_unit_id\nt1,Search,bu1\n",
        "models.csv": "model_id,name,team_id,risk_tier,lifecycle_stage,created_at\n"
                      "m1,One,t1,high,production,2026-01-01\nm2,Two,t1,low,production,2026-01-01\n"
                      "m2,Two,t1,limited,production,2026-01-01\n",
    }
    with writing(path) as con:
        for name, text in files.items():
            (folder / name).write_text(text)
            ingest_file(con, folder / name)
    return path


def fresh(base: Path, tmp_path: Path) -> Path:
    target = tmp_path / f"wh-{id(object())}.duckdb"
    shutil.copy(base, target)
    return target


def check_bounds(warehouse: Path, entity: str) -> None:
    """Nothing stored is past the contract's bounds (DATA_CONTRACT.md, "Bounds")."""
    spec = ENTITIES[entity]
    broken = []
    for c in spec.columns:
        name = f'"{c.name}"'
        if c.type in ("timestamp", "date"):
            low, high = f"{c.type.upper()} '1970-01-01'", f"{c.type.upper()} '2200-01-01'"
            broken.append(f"NOT ({name} >= {low} AND {name} < {high})")
        elif c.type == "float":
            broken.append(f"NOT isfinite({name})")
        elif c.type == "int":
            broken.append(f"{name} > 1000000000000000 OR {name} < 0")
        elif c.type == "text":
            broken.append(f"length({name}) > 4096")
    with reading(warehouse) as con:
        bad = con.execute(f"SELECT count(*) FROM {entity} WHERE "
                          + " OR ".join(f"coalesce({b}, false)" for b in broken)).fetchall()
    assert bad == [(0,)]


def check_reconciles(warehouse: Path, path: Path, entity: str, key: list[str]):
    with writing(warehouse) as con:
        result = ingest_file(con, path, entity=entity)
    if result.status == "rejected":
        assert result.message
        return result
    assert result.read == (result.inserted + result.updated + result.unchanged
                           + result.quarantined)
    with reading(warehouse) as con:
        stored = con.execute("SELECT count(*) FROM quarantine WHERE file = ?",
                             [str(path)]).fetchall()[0][0]
        reasons = con.execute("SELECT count(*) FROM quarantine WHERE file = ? AND "
                              "(reason IS NULL OR reason = '')", [str(path)]).fetchall()[0][0]
        keys = ", ".join(key)
        duplicates = con.execute(
            f"SELECT count(*) FROM (SELECT {keys} FROM {entity} GROUP BY ALL "
            f"HAVING count(*) > 1)").fetchall()[0][0]
    assert stored == result.quarantined
    assert reasons == 0
    assert duplicates == 0
    check_bounds(warehouse, entity)
    return result


incident_rows = st.lists(st.fixed_dictionaries({
    "incident_id": st.one_of(st.sampled_from(["i1", "i2", "i3"]), nasty_text),
    "model_id": model_ref,
    "severity": st.one_of(st.integers(-1, 6).map(str), nasty_text),
    "title": nasty_text,
    "started_at": timestamp,
    "detected_at": timestamp,
    "resolved_at": timestamp,
    "root_cause": st.sampled_from(["deployment", "vendor", "aliens", ""]),
}), min_size=1, max_size=12)

validation_rows = st.lists(st.fixed_dictionaries({
    "validation_id": st.one_of(st.sampled_from(["v1", "v2", "v3"]), nasty_text),
    "model_id": model_ref,
    "version": st.sampled_from(["1.0", ""]),
    "stage": st.sampled_from(["pre_deployment", "post_deployment", "canary"]),
    "run_at": timestamp,
    "metric": st.sampled_from(["auc", ""]),
    "value": number,
    "threshold": number,
    "passed": st.sampled_from(["true", "false", "maybe", ""]),
}), min_size=1, max_size=12)

risk_rows = st.lists(st.fixed_dictionaries({
    "assessment_id": st.one_of(st.sampled_from(["r1", "r2"]), nasty_text),
    "model_id": model_ref,
    "assessed_at": timestamp,
    "risk_tier": st.sampled_from(["high", "limited", "extreme"]),
    "assessor": nasty_text,
    "outcome": st.sampled_from(["approved", "rejected", "maybe"]),
    "next_review_due": st.one_of(timestamp, st.dates().map(str)),
    "notes": nasty_text,
}), min_size=1, max_size=12)

metric_rows = st.lists(st.fixed_dictionaries({
    "model_id": model_ref,
    "hour": st.sampled_from(["2026-11-02T10:00:00Z", "2026-11-02T11:00:00+01:00",
                             "2026-11-02T10:30:00Z", "garbage"]),
    "requests": count,
    "errors": count,
    **{b: count for b in LATENCY_BUCKETS},
}), min_size=1, max_size=12)


def write_csv(path: Path, rows: list[dict], bom: bool) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8"))


@SETTINGS
@given(rows=incident_rows, fmt=st.sampled_from(["csv", "jsonl", "parquet"]), bom=st.booleans())
def test_hostile_incident_files_reconcile(base_warehouse, tmp_path, rows, fmt, bom):
    path = tmp_path / f"incidents.{fmt}"
    if fmt == "csv":
        write_csv(path, rows, bom)
    elif fmt == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    else:
        pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}).write_parquet(path)
    check_reconciles(fresh(base_warehouse, tmp_path), path, "incidents", ["incident_id"])


@SETTINGS
@given(rows=metric_rows, fmt=st.sampled_from(["csv", "jsonl", "parquet"]))
def test_hostile_metric_files_reconcile(base_warehouse, tmp_path, rows, fmt):
    path = tmp_path / f"metrics_hourly.{fmt}"
    if fmt == "csv":
        write_csv(path, rows, bom=False)
    elif fmt == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    else:
        pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}).write_parquet(path)
    warehouse = fresh(base_warehouse, tmp_path)
    check_reconciles(warehouse, path, "metrics_hourly", ["model_id", "hour"])
    with reading(warehouse) as con:
        bad = con.execute(
            "SELECT count(*) FROM metrics_hourly WHERE errors > requests OR requests < 0 "
            "OR latency_le_10ms < latency_le_5ms OR latency_le_10000ms > requests").fetchall()
    assert bad == [(0,)]


@SETTINGS
@given(rows=st.one_of(validation_rows.map(lambda r: ("validations", "validation_id", r)),
                      risk_rows.map(lambda r: ("risk_assessments", "assessment_id", r))),
       fmt=st.sampled_from(["csv", "jsonl", "parquet"]))
def test_hostile_times_dates_and_numbers_stay_within_the_bounds(base_warehouse, tmp_path, rows,
                                                                fmt):
    entity, key, rows = rows
    path = tmp_path / f"{entity}.{fmt}"
    if fmt == "csv":
        write_csv(path, rows, bom=False)
    elif fmt == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    else:
        pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}).write_parquet(path)
    check_reconciles(fresh(base_warehouse, tmp_path), path, entity, [key])


@SETTINGS
@given(data=st.binary(max_size=2_000), suffix=st.sampled_from(["csv", "jsonl", "parquet"]))
def test_random_bytes_never_crash_ingest(base_warehouse, tmp_path, data, suffix):
    path = tmp_path / f"teams.{suffix}"
    path.write_bytes(b"team_id,name,business_unit_id\n" + data if suffix == "csv" else data)
    check_reconciles(fresh(base_warehouse, tmp_path), path, "teams", ["team_id"])


def test_text_cells_odd_encodings_and_nul_bytes_are_kept_or_quarantined(base_warehouse,
                                                                        tmp_path):
    path = tmp_path / "teams.csv"
    path.write_bytes(b"\xef\xbb\xbfteam_id,name,business_unit_id\n"
                     b"t2,Caf\xe9 latin-1,bu1\n"
                     b"t3,nul\x00inside,bu1\n"
                     b"t4," + b"y" * 200_000 + b",bu1\n")
    warehouse = fresh(base_warehouse, tmp_path)
    result = check_reconciles(warehouse, path, "teams", ["team_id"])
    assert result.read == 3
    with reading(warehouse) as con:
        names = dict(con.execute("SELECT team_id, name FROM teams").fetchall())
    assert names["t2"] == "Caf\ufffd latin-1"  # undecodable byte replaced, not a crash
    assert "t4" not in names  # past the text bound (issue 18.10)
    assert result.reasons == ["line 4: name: longer than 4096 characters (200000)"]
