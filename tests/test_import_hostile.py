"""`modelops import` on hostile files (issue 25): bounded memory and time, one line per
problem naming the file, nothing already stored lost, and the warehouse never held while a
file is parsed.

Every file here is generated and small (a 4 MB gzip bomb is 15 kB); the figures for a
1 GB bomb and a 256 MB OTLP file are in docs/PERFORMANCE.md (tests/bench/hostile_import.py).
Runs that hung or exhausted memory before the fix go through a child process with a
timeout, so they fail instead of stopping the suite.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from importer_support import BASE, FIXTURES, quarantine, rows

from modelops.importers import run

ROOT = Path(__file__).resolve().parents[1]
FOCUS_HEADER = ("BillingCurrency,EffectiveCost,ChargePeriodStart,ChargePeriodEnd,"
                "ServiceCategory,ProviderName,Tags\n")
TAG = '"{""model"":""churn""}"'
DEEP = 100_000


def cli(*args, timeout: float = 60) -> subprocess.CompletedProcess:
    """`modelops ...` in its own process: a hang or a MemoryError fails the test only."""
    return subprocess.run([sys.executable, "-m", "modelops.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          check=False)


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def focus_bomb(path: Path, megabytes: int) -> int:
    """A FOCUS .csv.gz of `megabytes` MB of untagged rows once inflated; returns rows."""
    row = "USD,1.00,2026-11-17T00:00:00Z,2026-11-17T01:00:00Z,Compute,Nimbus,\n"
    count = megabytes * 2**20 // len(row)
    with gzip.open(path, "wt", compresslevel=9) as out:
        out.write(FOCUS_HEADER)
        for _ in range(count // 1000):
            out.write(row * 1000)
    return count // 1000 * 1000


def billion_laughs(levels: int = 9) -> str:
    """A Sloth spec whose `labels` expand to 9^levels strings through aliases (1 kB)."""
    lines = ['version: "prometheus/v1"', "service: laughs",
             'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [" + ",".join([f"*l{n - 1}"] * 9) + "]")
    lines += ["labels:", "  model: churn", f"  laughs: *l{levels - 1}", "slos:",
              "  - name: availability", "    objective: 99.5", "    sli:", "      events:",
              "        error_query: errors", "        total_query: total"]
    return "\n".join(lines) + "\n"


# --- 1, 2: memory does not grow with the file --------------------------------------------

def test_a_gzip_bomb_of_untagged_rows_is_read_as_a_stream(make_warehouse, tmp_path):
    """4 MB of untagged rows from a 15 kB file: before, the file was inflated whole and one
    Skipped object kept per row (traced peak 36.4 MB); now the rows are counted as they
    stream by (traced peak 1.1 MB)."""
    wh = make_warehouse(BASE)
    bomb = tmp_path / "focus.csv.gz"
    count = focus_bomb(bomb, 4)
    assert bomb.stat().st_size < 30_000

    tracemalloc.start()
    try:
        reports = run.import_files(wh, "focus", [bomb])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [(r.records, r.skipped, r.loaded, r.quarantined) for r in reports] == [
        (count, count, 0, 0)]
    assert peak < 8 * 2**20, f"traced peak {peak / 2**20:.1f} MB"
    assert rows(wh, "SELECT status, skipped FROM load_log WHERE source = 'focus'") == [
        ("loaded", count)]


def test_otlp_is_read_a_resource_at_a_time(make_warehouse, tmp_path):
    """An OTLP export of 400 resources (8 MB): the parse holds one resource, not the
    document (traced peak before: 23.3 MB)."""
    wh = make_warehouse(BASE)
    point = {"startTimeUnixNano": str(1_794_873_600 * 10**9),
             "timeUnixNano": str(1_794_877_200 * 10**9), "count": "1",
             "bucketCounts": ["1"] + ["0"] * 15, "explicitBounds": [
                 0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000],
             "attributes": [{"key": "pad", "value": {"stringValue": "x" * 2000}}]}
    resource = {"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "churn"}}]},
        "scopeMetrics": [{"metrics": [{"name": "http.server.request.duration", "unit": "ms",
                                        "histogram": {"aggregationTemporality": 1,
                                                      "dataPoints": [point] * 10}}]}]}
    path = write(tmp_path, "otlp.json", json.dumps({"resourceMetrics": [resource] * 400}))
    assert path.stat().st_size > 8 * 2**20

    tracemalloc.start()
    try:
        reports = run.import_files(wh, "otlp", [path])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [(r.records, r.loaded) for r in reports] == [(1, 1)]
    assert rows(wh, "SELECT requests, latency_le_5ms FROM metrics_hourly") == [(4000, 4000)]
    assert peak < 6 * 2**20, f"traced peak {peak / 2**20:.1f} MB"


# --- 3: bounds before expanding ----------------------------------------------------------

def test_a_charge_period_of_eight_millennia_is_refused_before_it_is_spread(make_warehouse,
                                                                           tmp_path):
    wh = make_warehouse(BASE)
    far = "1970-01-01T00:00:00Z,9999-12-31T00:00:00Z"
    long = "2026-01-01T00:00:00Z,2028-01-01T00:00:00Z"
    path = write(tmp_path, "focus.csv", FOCUS_HEADER + "".join(
        f"USD,1.00,{far},Compute,Nimbus,{TAG}\n" for _ in range(3))
        + f"USD,1.00,{long},Compute,Nimbus,{TAG}\n"
        + f"USD,2.50,2026-11-17T00:00:00Z,2026-11-18T00:00:00Z,Compute,Nimbus,{TAG}\n")

    done = cli("import", "focus", path, "--warehouse", wh, timeout=30)

    assert (done.returncode, done.stderr) == (1, "")
    far_reason = ("charge period: the period's end 9999-12-31T00:00:00+00:00 is outside "
                  "1970-01-01 .. 2199-12-31")
    assert quarantine(wh, "costs_daily") == [
        ("focus.csv", 2, far_reason), ("focus.csv", 3, far_reason),
        ("focus.csv", 4, far_reason),
        ("focus.csv", 5, "charge period: the period is 730 days long, more than 366")]
    assert rows(wh, "SELECT model_id, day::VARCHAR, amount_usd FROM costs_daily") == [
        ("churn", "2026-11-17", 2.5)]


def test_an_opencost_window_from_year_1_to_9999_is_refused_before_it_is_spread(
        make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    allocation = {"name": "churn", "window": {"start": "0001-01-01T00:00:00Z",
                                              "end": "9999-01-01T00:00:00Z"},
                  "cpuCost": 1.0, "totalCost": 1.0}
    path = write(tmp_path, "allocation.json",
                 json.dumps({"code": 200, "data": [{"churn": allocation}]}))

    done = cli("import", "opencost", path, "--warehouse", wh, timeout=30)

    assert (done.returncode, done.stderr) == (1, "")
    assert quarantine(wh, "costs_daily") == [
        ("allocation.json", 1, ("allocation churn: window: the period's start "
                               "0001-01-01T00:00:00+00:00 is outside 1970-01-01 .. 2199-12-31"))]


# --- 4, 10: YAML anchors and repeated keys -----------------------------------------------

def test_yaml_aliases_that_expand_past_the_bound_quarantine_the_document_unexpanded(
        make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    path = write(tmp_path, "laughs.yml", billion_laughs())
    assert path.stat().st_size < 1500

    done = cli("import", "sloth", path, "--warehouse", wh, timeout=30)

    assert (done.returncode, done.stderr) == (1, "")
    assert quarantine(wh, "models") == [
        ("laughs.yml", 1, ("YAML document refused: its aliases expand to more than "
                          "100,000 nodes (refused unexpanded)"))]
    [(kept,)] = rows(wh, "SELECT row_as_read FROM quarantine")
    assert json.loads(kept) == billion_laughs()  # as written, not expanded
    assert rows(wh, "SELECT model_id, slo_availability FROM models ORDER BY 1") == [
        ("churn", 0.995), ("fraud", 0.99)]


def test_a_refused_record_is_kept_cut_to_the_documented_size(make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    path = write(tmp_path, "focus.csv",
                 FOCUS_HEADER + f"EUR,1.00,2026-11-17T00:00:00Z,2026-11-18T00:00:00Z,"
                                f"Compute,{'N' * 100_000},{TAG}\n")
    assert cli("import", "focus", path, "--warehouse", wh).returncode == 1
    [(kept, reason)] = rows(wh, "SELECT row_as_read, reason FROM quarantine")
    assert reason == "currency EUR is not USD"
    assert len(kept) == 4096 and kept.endswith("\u2026")  # the documented size


def test_a_repeated_yaml_key_quarantines_the_document_naming_key_and_lines(make_warehouse,
                                                                           tmp_path):
    wh = make_warehouse(BASE)
    spec = ('version: "prometheus/v1"\nservice: churn\nlabels:\n  model: churn\nslos:\n'
            "  - name: availability\n    objective: 99.9\n    objective: 1\n    sli:\n"
            "      events:\n        error_query: errors\n        total_query: total\n")
    path = write(tmp_path, "slo.yml", spec)

    done = cli("import", "sloth", path, "--warehouse", wh)

    assert (done.returncode, done.stderr) == (1, "")
    assert quarantine(wh, "models") == [
        ("slo.yml", 1, ("YAML document refused: key 'objective' appears twice in one "
                       "mapping (lines 7 and 8)"))]
    assert rows(wh, "SELECT slo_availability FROM models WHERE model_id = 'churn'") == [
        (0.995,)]


# --- 5: special files, and the warehouse is free while files are parsed ------------------

def test_a_fifo_or_dev_zero_is_refused_at_once_and_named_in_a_directory(make_warehouse,
                                                                         tmp_path):
    wh = make_warehouse(BASE)
    folder = tmp_path / "exports"
    folder.mkdir()
    os.mkfifo(folder / "pipe.csv")  # nobody writes: opening it to read would wait for ever
    (folder / "zero.csv").symlink_to("/dev/zero")  # endless
    good = write(folder, "good.csv", FOCUS_HEADER
                 + f"USD,2.50,2026-11-17T00:00:00Z,2026-11-18T00:00:00Z,Compute,Nimbus,{TAG}\n")

    done = cli("import", "focus", folder, "--warehouse", wh, timeout=30)

    assert (done.returncode, done.stderr) == (2, "")
    assert done.stdout.splitlines() == [
        (f"{good}: read 1 records (1 contract rows made from them), loaded 1 rows "
         "(costs_daily 1 new, 0 updated, 0 unchanged), skipped 0, quarantined 0"),
        (f"{folder / 'pipe.csv'}: REJECTED, nothing loaded: not a regular file (a named pipe "
        "(FIFO)); only regular files are read"),
        (f"{folder / 'zero.csv'}: REJECTED, nothing loaded: not a regular file (a character "
        "device); only regular files are read")]
    done = cli("import", "otlp", folder / "pipe.csv", "--warehouse", wh, timeout=30)
    assert (done.returncode, done.stderr) == (2, "")


def test_no_warehouse_connection_is_open_while_files_are_parsed(make_warehouse, tmp_path,
                                                                monkeypatch):
    """A parse that takes its time (here: one that runs `modelops ingest` on the same
    warehouse from another process) does not lock anyone out: before, the parse ran inside
    the warehouse's read connection and that ingest failed on the lock."""
    wh = make_warehouse(BASE)
    teams = write(tmp_path, "in/teams.csv", "team_id,name,business_unit_id\nt2,Ops,bu\n")
    seen = {}

    def parse(files, options):
        seen["model"] = options.current("models", "churn")["name"]
        seen["ingest"] = cli("ingest", teams, "--warehouse", wh)
        yield from ()

    monkeypatch.setattr(run, "source_module", lambda name: type(
        "Fake", (), {"KEY": "service", "ENTITIES": ("incidents",), "parse": parse}))
    run.import_files(wh, "pagerduty", [teams])

    assert seen["model"] == "Churn"  # lookups still answer, from what was read first
    assert (seen["ingest"].returncode, seen["ingest"].stderr) == (0, "")
    assert rows(wh, "SELECT team_id FROM teams ORDER BY 1") == [("t",), ("t2",)]


# --- 6: nesting --------------------------------------------------------------------------

@pytest.mark.parametrize("source, document", [
    ("gx", '{"results": %s}'), ("evidently", '{"metrics": %s}'),
    ("otlp", '{"resourceMetrics": [%s]}'), ("pagerduty", '{"incidents": [%s]}'),
    ("opencost", '{"code": 200, "data": [%s]}'), ("mlflow", '{"model_versions": [%s]}'),
    ("prometheus", '{"status": "success", "data": %s}'),
])
def test_json_nested_100000_deep_is_one_line(make_warehouse, tmp_path, source, document):
    wh = make_warehouse(BASE)
    path = write(tmp_path, "deep.json", document % ("[" * DEEP + "]" * DEEP))
    good = FIXTURES / "opencost" / "allocation.json"
    model = ["--model", "churn"] if source in ("gx", "evidently") else []
    done = cli("import", source, path, *model, "--warehouse", wh)
    assert (done.returncode, done.stderr) == (2, "")
    assert done.stdout.startswith(f"{path}: REJECTED, nothing loaded: ")
    assert "nested deeper than 64 levels" in done.stdout
    assert good.exists()


@pytest.mark.parametrize("source", ["openslo", "sloth"])
def test_yaml_nested_100000_deep_is_one_line(make_warehouse, tmp_path, source):
    wh = make_warehouse(BASE)
    path = write(tmp_path, "deep.yaml", "spec:\n  labels: " + "[" * DEEP + "]" * DEEP + "\n")
    done = cli("import", source, path, "--warehouse", wh)
    assert (done.returncode, done.stderr) == (2, "")
    assert done.stdout == (f"{path}: REJECTED, nothing loaded: line 2: YAML nested deeper "
                           "than 64 levels\n")


# --- 7: numbers and times out of range ---------------------------------------------------

def test_prometheus_point_times_out_of_range_are_quarantined_points(make_warehouse,
                                                                     tmp_path):
    wh = make_warehouse(BASE)
    hour = 1_794_877_200  # 2026-11-17T01:00:00Z
    bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
              "+Inf"]
    series = [{"metric": {"model": "churn", "le": le},
               "values": [[hour, "4"], ["Infinity", "1"], [1e20, "1"],
                          [3_600_000_000_000_000, "1"]]} for le in bounds]
    path = write(tmp_path, "latency.json", json.dumps(
        {"status": "success", "data": {"resultType": "matrix", "result": series}}))

    done = cli("import", "prometheus", path, "--warehouse", wh)

    assert (done.returncode, done.stderr) == (1, "")
    assert rows(wh, "SELECT hour::VARCHAR, requests FROM metrics_hourly") == [
        ("2026-11-17 00:00:00", 4)]
    reasons = {reason for _, _, reason in quarantine(wh, "metrics_hourly")}
    assert reasons == {"point time inf is outside 1970-01-01 .. 2199-12-31",
                       "point time 1e+20 is outside 1970-01-01 .. 2199-12-31",
                       "point time 3600000000000000.0 is outside 1970-01-01 .. 2199-12-31"}
    assert len(quarantine(wh, "metrics_hourly")) == 3 * len(bounds)


def test_mlflow_timestamps_of_10_to_the_17_ms_are_quarantined(make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    path = write(tmp_path, "versions.json", json.dumps({"model_versions": [
        {"name": "churn", "version": "1", "creation_timestamp": 10**17},
        {"name": "churn", "version": "2", "creation_timestamp": -(10**17)},
        {"name": "churn", "version": "3", "creation_timestamp": 1_794_873_600_000}]}))
    done = cli("import", "mlflow", path, "--warehouse", wh)
    assert (done.returncode, done.stderr) == (1, "")
    assert quarantine(wh, "model_versions") == [
        ("versions.json", 1, ("creation_timestamp: 100000000000000000 ms is outside "
                             "1970-01-01 .. 2199-12-31")),
        ("versions.json", 2, ("creation_timestamp: -100000000000000000 ms is outside "
                             "1970-01-01 .. 2199-12-31"))]
    assert rows(wh, "SELECT version FROM model_versions") == [("3",)]


def test_pagerduty_seconds_to_first_ack_out_of_range_are_quarantined(make_warehouse,
                                                                      tmp_path):
    wh = make_warehouse(BASE)
    record = {"service_id": "churn", "urgency": "high", "description": "Down",
              "created_at": "2026-11-17T10:00:00",
              "resolved_at": "2026-11-17T11:00:00"}
    path = write(tmp_path, "analytics.json", json.dumps({"time_zone": "Etc/UTC", "data": [
        {**record, "id": "A", "seconds_to_first_ack": -(10**12)},
        {**record, "id": "B", "seconds_to_first_ack": 10**18, "seconds_to_resolve": 10**18},
        {**record, "id": "C", "seconds_to_first_ack": 60}]}))
    done = cli("import", "pagerduty", path, "--warehouse", wh)
    assert (done.returncode, done.stderr) == (1, "")
    assert quarantine(wh, "incidents") == [
        ("analytics.json", 1, "seconds_to_first_ack -1000000000000 is out of range"),
        ("analytics.json", 2, "seconds_to_first_ack 1000000000000000000 is out of range")]
    assert rows(wh, "SELECT incident_id, acknowledged_at::VARCHAR FROM incidents") == [
        ("C", "2026-11-17 10:01:00")]


def test_a_focus_cost_of_1e1000000_is_quarantined(make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    day = "2026-11-17T00:00:00Z,2026-11-18T00:00:00Z"
    path = write(tmp_path, "focus.csv", FOCUS_HEADER
                 + f"USD,1e1000000,{day},Compute,Nimbus,{TAG}\n"
                 + f"USD,2.50,{day},Storage,Nimbus,{TAG}\n")
    done = cli("import", "focus", path, "--warehouse", wh)
    assert (done.returncode, done.stderr) == (1, "")
    assert quarantine(wh, "costs_daily") == [
        ("focus.csv", 2, "EffectiveCost 1e1000000 is past ±1e+15 USD")]
    assert rows(wh, "SELECT category, amount_usd FROM costs_daily") == [("storage", 2.5)]


# --- 8, 9: one bad file, a bad map -------------------------------------------------------

def test_an_unreadable_mlflow_page_does_not_refuse_its_neighbour(make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    good = write(tmp_path, "page-1.json", json.dumps({"model_versions": [
        {"name": "churn", "version": "1", "creation_timestamp": 1_794_873_600_000}]}))
    bad = write(tmp_path, "page-2.json",
                '{"model_versions": [{"name": "churn", "version": "2", '
                f'"creation_timestamp": {"9" * 5000}}}]}}')
    done = cli("import", "mlflow", good, bad, "--warehouse", wh)
    assert (done.returncode, done.stderr) == (2, "")
    assert done.stdout.splitlines()[0].startswith(f"{good}: read 1 records, loaded 1 rows")
    assert done.stdout.splitlines()[1].startswith(
        f"{bad}: REJECTED, nothing loaded: not readable JSON (Exceeds the limit (4300 digits)")
    assert rows(wh, "SELECT version FROM model_versions") == [("1",)]


def test_a_map_key_past_the_csv_field_limit_is_one_line(make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    mapping = write(tmp_path, "map.csv",
                    f"source,key,model_id\nfocus,churn,churn\nfocus,{'k' * 200_000},churn\n")
    done = cli("import", "focus", FIXTURES / "focus" / "focus-1.2.csv", "--map", mapping,
               "--warehouse", wh)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (f"modelops import: --map {mapping}:3: not a readable CSV row "
                           "(field larger than field limit (131072))\n")


# --- every fixture and every generated file: never a traceback ---------------------------

def hostile_files(folder: Path) -> Path:
    """One of each kind of file above, in one folder."""
    write(folder, "deep.json", '{"data": [' + "[" * DEEP + "]" * DEEP + "]}")
    write(folder, "deep.yaml", "a: " + "[" * DEEP + "]" * DEEP + "\n")
    write(folder, "laughs.yml", billion_laughs())
    write(folder, "digits.json", '{"model_versions": [{"x": ' + "9" * 5000 + "}]}")
    write(folder, "binary.json", bytes(range(256)) * 4)
    write(folder, "not-utf8.csv", FOCUS_HEADER.encode() + b"\xff\xfe\n")
    write(folder, "bomb-head.csv.gz", gzip.compress(FOCUS_HEADER.encode() * 3)[:-8])
    write(folder, "nan.json", '{"status": "success", "data": {"resultType": "matrix", '
                              '"result": [{"metric": {"model": "churn", "le": "NaN"}, '
                              '"values": [[NaN, "Infinity"]]}]}}')
    write(folder, "empty.json", "")
    write(folder, "null.yaml", "~\n---\n- 1\n- [2]\n")
    return folder


SWEEP = """
import contextlib, io, json, sys
from modelops.cli import main
from modelops.importers.run import SOURCES
wh, folders, failures = sys.argv[1], sys.argv[2:], []
for source in SOURCES:
    model = ["--model", "churn"] if source in ("gx", "evidently") else []
    for folder in folders:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["import", source, folder, *model, "--warehouse", wh])
        if code not in (0, 1, 2) or err.getvalue():
            failures.append([source, folder, code, err.getvalue()[-600:]])
print(json.dumps(failures))
"""


def test_every_fixture_and_generated_file_gives_lines_never_a_traceback(make_warehouse,
                                                                        tmp_path):
    """Each source on every file the tests keep (tests/fixtures) and every hostile file
    above: each file is loaded, quarantined or refused by name in the report, and nothing
    reaches stderr (no traceback, no run-wide error). One child process runs the 24
    imports, so an exception escaping `main` or a crash of the interpreter (ijson's C
    backend once segfaulted here) fails the test."""
    wh = make_warehouse(BASE)
    generated = hostile_files(tmp_path / "generated")
    done = subprocess.run([sys.executable, "-c", SWEEP, str(wh), str(FIXTURES.parent),
                           str(generated)], capture_output=True, text=True, timeout=600,
                          cwd=ROOT, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == []
