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

from queries.ingest import ingest_file
from queries.schema import LATENCY_BUCKETS
from queries.warehouse import reading, writing

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
                     "2026-11-02T10:00:00-12:00", "2026-02-30", "9999-12-31T23:59:59Z"]),
    st.just("x" * 5_000),  # long; a 200 kB field is tested below (and keeps reports short)
)
model_ref = st.sampled_from(["m1", "m2", "m404", "", "M1"])
timestamp = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["2026-11-02T10:00:00Z", "2026-11-02T10:00:00+02:00",
                     "2026-11-02 10:00", "yesterday", ""]),
    nasty_text,
)
count = st.one_of(st.integers(-5, 2_000).map(str), nasty_text)


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
    assert len(names["t4"]) == 200_000
