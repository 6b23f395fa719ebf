"""The warehouse as Iceberg tables (modelops/backends/iceberg.py): ingest through the CLI, the pages
and the weekly CSV read the same numbers as from a DuckDB file, two ingests from two
processes both land, and a reader sees one committed snapshot or the next, never a mix."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from modelops.backends import FileBackend, iceberg, open_backend
from modelops.cli import main
from modelops.demo import build_demo
from modelops.reports.weekly import last_complete_week, weekly_csv
from modelops.warehouse import WarehouseError, reading

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"


def _location(tmp: Path) -> str:
    return f"iceberg+sqlite:///{tmp / 'catalog.db'}?warehouse={tmp / 'wh'}"


@pytest.fixture
def catalog(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELOPS_ICEBERG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(iceberg, "POLL_S", 0.0)
    iceberg._warehouses.clear()
    yield _location(tmp_path)
    iceberg._warehouses.clear()


def _counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
            " AND table_name NOT IN ('iceberg_snapshot', 'schema_version', 'macro_version')"
        ).fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def test_ingest_into_iceberg_matches_the_file_backend(catalog, tmp_path, monkeypatch):
    # Every time-placed table takes the path of a large one: only the changed range of
    # its time column is rewritten.
    monkeypatch.setattr(iceberg, "SMALL_TABLE_ROWS", 0)
    file_wh = tmp_path / "file.duckdb"
    samples = [str(p) for p in sorted(SAMPLES.iterdir())]
    assert main(["ingest", *samples, "--warehouse", str(file_wh)]) == 0
    assert main(["ingest", *samples, "--warehouse", catalog]) == 0
    seq, _ = iceberg.open_warehouse(catalog).head()
    assert seq == len(samples)  # one commit per file
    replica = iceberg.replica_path(catalog)
    file_counts, ice_counts = _counts(file_wh), _counts(replica)
    file_counts.pop("load_log"), ice_counts.pop("load_log")
    assert ice_counts == file_counts
    # Reloading changes nothing but the load log (the upsert, as on a file).
    assert main(["ingest", str(SAMPLES / "incidents.csv"), "--warehouse", catalog]) == 0
    assert _counts(iceberg.replica_path(catalog))["incidents"] == file_counts["incidents"]
    # An upsert of some hourly metrics rewrites only their range, with the same result.
    changed = tmp_path / "metrics_hourly.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * REPLACE (CASE WHEN hour = (SELECT max(hour) FROM "
                f"'{SAMPLES / 'metrics_hourly.parquet'}') THEN errors + 1 ELSE errors END "
                f"AS errors) FROM '{SAMPLES / 'metrics_hourly.parquet'}' ORDER BY hour DESC "
                f"LIMIT 30) TO '{changed}' (FORMAT parquet)")
    con.close()
    for location in (str(file_wh), catalog):
        assert main(["ingest", str(changed), "--warehouse", location]) == 0
    for table in ("metrics_hourly", "metrics_daily"):
        query = f"SELECT * FROM {table} ORDER BY ALL"
        with duckdb.connect(str(file_wh), read_only=True) as a, duckdb.connect(
                str(iceberg.replica_path(catalog)), read_only=True) as b:
            assert a.execute(query).fetchall() == b.execute(query).fetchall(), table
    # No delete files: every table is copy-on-write.
    for name, (files, _schema) in iceberg.open_warehouse(catalog).snapshot_files().items():
        assert all(f.endswith(".parquet") for f in files), name


def test_a_large_change_is_written_in_batches_as_one_commit(catalog, tmp_path, monkeypatch):
    # Thousands of hourly rows written 1,000 at a time: memory bounded by the batch, not the
    # table (a year at 10,000 models is 70 M rows). Readers still see one commit, with
    # every row once.
    monkeypatch.setattr(iceberg, "WRITE_BATCH_ROWS", 1000)
    file_wh = tmp_path / "demo.duckdb"
    build_demo(file_wh, models=12, days=40, seed=3, progress=lambda line: None)
    assert main(["export", "--to", "iceberg", catalog, "--warehouse", str(file_wh)]) == 0
    warehouse = iceberg.open_warehouse(catalog)
    seq, tables = warehouse.head()
    assert seq == 1
    hourly = warehouse._table("metrics_hourly")
    assert hourly.current_snapshot().snapshot_id == tables["metrics_hourly"]
    query = "SELECT * FROM metrics_hourly ORDER BY ALL"
    with duckdb.connect(str(file_wh), read_only=True) as a, duckdb.connect(
            str(iceberg.replica_path(catalog)), read_only=True) as b:
        rows = a.execute(query).fetchall()
        assert b.execute(query).fetchall() == rows
    # A new table: the overwrite is one append of the first 1,000 rows, then one append per
    # further 1,000 (or part), all in the commit's one transaction.
    assert len(rows) > 5_000
    assert len(hourly.metadata.snapshots) == -(-len(rows) // 1000)


@pytest.fixture
def demo_pair(tmp_path, catalog):
    """The same small demo as a DuckDB file and, exported, as an Iceberg catalog."""
    file_wh = tmp_path / "demo.duckdb"
    end = datetime.combine(datetime.now(UTC).date(), time())
    build_demo(file_wh, models=12, days=40, seed=3, end=end, progress=lambda line: None)
    assert main(["export", "--to", "iceberg", catalog, "--warehouse", str(file_wh)]) == 0
    return file_wh, catalog, end


def _tiles(at: AppTest) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/reliability.py"])
def test_pages_on_iceberg_show_the_file_backends_numbers(demo_pair, monkeypatch, page):
    file_wh, catalog, _ = demo_pair
    shown = {}
    for name, location in (("file", str(file_wh)), ("iceberg", catalog)):
        monkeypatch.setenv("MODELOPS_WAREHOUSE", location)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.run()
        at.switch_page(page).run()  # the landing page is Week in review
        assert not at.exception, at.exception
        shown[name] = _tiles(at)
    assert shown["file"] and shown["iceberg"] == shown["file"]


def test_weekly_csv_and_export_back_to_a_file(demo_pair, tmp_path):
    file_wh, catalog, end = demo_pair
    week = last_complete_week(end)
    expected = weekly_csv(week, path=file_wh)
    out = tmp_path / "ice.csv"
    assert main(["report", "weekly", "--week", week, "--warehouse", catalog,
                 "--out", str(out)]) == 0
    assert out.read_bytes() == expected
    back = tmp_path / "back.duckdb"
    victim = tmp_path / "victim.txt"  # issue 24: a planted fixed temporary name is ignored
    victim.write_text("precious")
    Path(f"{back}.tmp").symlink_to(victim)
    assert main(["export", "--to", "file", str(back), "--warehouse", catalog]) == 0
    assert weekly_csv(week, path=back) == expected
    assert victim.read_text() == "precious" and not back.is_symlink()


_INGEST = """
import sys
from modelops.cli import main
sys.exit(main(["ingest", *sys.argv[2:], "--warehouse", sys.argv[1]]))
"""


def _write_incidents(path: Path, prefix: str, n: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 11, 1, 8)
    lines = ["incident_id,model_id,severity,title,started_at,root_cause"]
    for i in range(n):
        started = (start + timedelta(minutes=17 * i)).isoformat()
        lines.append(f"{prefix}-{i},fraud-detector-eu,3,{prefix} {i},{started},other")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_two_concurrent_ingests_from_two_processes_both_land(catalog, tmp_path):
    reference = [str(SAMPLES / f"{n}.csv") for n in ("business_units", "teams", "vendors",
                                                     "models")]
    assert main(["ingest", *reference, "--warehouse", catalog]) == 0
    files = {p: [_write_incidents(tmp_path / f"{p}-{k}" / "incidents.csv", f"{p}{k}", 40)
                 for k in range(3)] for p in ("a", "b")}
    env = {**os.environ, "MODELOPS_ICEBERG_POLL": "0"}
    procs = [subprocess.Popen([sys.executable, "-c", _INGEST, catalog, *map(str, group)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for group in files.values()]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, (out, err)
    con = duckdb.connect(str(iceberg.replica_path(catalog)), read_only=True)
    ids = {r[0] for r in con.execute("SELECT incident_id FROM incidents").fetchall()}
    loads = con.execute("SELECT count(*) FROM load_log WHERE entity = 'incidents'").fetchone()
    con.close()
    assert {f"{p}{k}-{i}" for p in "ab" for k in range(3) for i in range(40)} <= ids
    assert loads[0] == 6
    assert iceberg.open_warehouse(catalog).head()[0] == 4 + 6


def test_a_reader_sees_the_old_or_the_new_snapshot_never_a_mix(catalog, tmp_path):
    reference = [str(SAMPLES / f"{n}.csv") for n in ("business_units", "teams", "vendors",
                                                     "models")]
    assert main(["ingest", *reference, "--warehouse", catalog]) == 0
    batches = [_write_incidents(tmp_path / f"b{k}.csv", f"r{k}", 25) for k in range(4)]
    seen, errors, done = [], [], threading.Event()

    def read():
        reader = iceberg.IcebergWarehouse(catalog)  # its own client, as another replica
        while not done.is_set():
            try:
                path = reader.replica()
                con = duckdb.connect(str(path), read_only=True)
                incidents = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
                loads = con.execute("SELECT count(*) FROM load_log WHERE entity = "
                                    "'incidents'").fetchone()[0]
                con.close()
                seen.append((loads, incidents))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for batch in batches:
            assert main(["ingest", str(batch), "--entity", "incidents",
                         "--warehouse", catalog]) == 0
    finally:
        done.set()
        thread.join(timeout=120)
    assert not errors, errors
    # Each committed load adds its 25 incidents and its load-log row together.
    assert seen and all(incidents == 25 * loads for loads, incidents in seen), set(seen)


def test_only_a_missing_commits_table_reads_as_nothing_committed(catalog, monkeypatch):
    from pyiceberg.exceptions import NoSuchTableError

    warehouse = iceberg.IcebergWarehouse(catalog)
    assert warehouse.head() == (0, {})  # a new catalog: no commits table yet

    def unreachable(name):
        raise OSError("catalog database unreachable")

    # Taken for "nothing committed", a failure would let a writer load a file onto an
    # empty warehouse, where every model id is unknown.
    monkeypatch.setattr(warehouse, "_table", unreachable)
    with pytest.raises(OSError, match="unreachable"):
        warehouse.head()

    def missing(name):
        raise NoSuchTableError(name)

    monkeypatch.setattr(warehouse, "_table", missing)
    assert warehouse.head() == (0, {})


def test_the_location_picks_the_backend_and_the_file_layer_refuses_a_catalog(
        catalog, tmp_path, monkeypatch):
    """modelops/backends picks Iceberg for an `iceberg+` location, the file otherwise; the
    file layer, which knows no backend, refuses a catalog location in one line instead of
    creating a file named after it."""
    monkeypatch.chdir(tmp_path)
    backend = open_backend(str(tmp_path / "w.duckdb"))
    assert isinstance(backend, FileBackend) and backend.read_path() == tmp_path / "w.duckdb"
    assert isinstance(open_backend(catalog), iceberg.IcebergWarehouse)
    before = sorted(p.name for p in tmp_path.iterdir())
    with (pytest.raises(WarehouseError, match="an Iceberg catalog, not a DuckDB file"),
          reading(catalog)):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == before
