"""A broken Iceberg warehouse (modelops/backends/iceberg.py) ends `report`, `ingest` and
`quarantine` in one line naming the table and the file, with exit 2, never a traceback; a
locked SQLite catalog is waited for up to MODELOPS_LOCK_TIMEOUT; the dashboard keeps serving
the newest replica it has, saying since when the catalog is unreachable; a replica in the
cache that does not open is rebuilt.

Each fault is made the way it happens: a file cut short by a full disk or a killed copy, a
file removed by hand, another process holding the catalog database."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from modelops import backends
from modelops.backends import iceberg
from modelops.cli import main
from modelops.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
REFERENCE = [str(SAMPLES / f"{n}.csv") for n in ("business_units", "teams", "vendors",
                                                 "models")]
WEEK = "2026-W47"


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    """A catalog holding the reference entities and the sample incidents (five commits)."""
    monkeypatch.setenv("MODELOPS_ICEBERG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(iceberg, "POLL_S", 0.0)
    iceberg._warehouses.clear()
    location = f"iceberg+sqlite:///{tmp_path / 'catalog.db'}?warehouse={tmp_path / 'wh'}"
    assert main(["ingest", *REFERENCE, str(SAMPLES / "incidents.csv"),
                 "--warehouse", location]) == 0
    yield location, tmp_path
    iceberg._warehouses.clear()


def _fresh_process(tmp_path: Path) -> None:
    """As another machine (or a restart on an emptied cache): no client, no replica."""
    iceberg._warehouses.clear()
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)


def _metadata_file(tmp_path: Path, table: str) -> Path:
    con = sqlite3.connect(tmp_path / "catalog.db")
    try:
        (location,) = con.execute("SELECT metadata_location FROM iceberg_tables "
                                  "WHERE table_name = ?", [table]).fetchone()
    finally:
        con.close()
    return Path(location.removeprefix("file://"))


def _data_file(location: str, table: str) -> Path:
    files, _schema = iceberg.open_warehouse(location).snapshot_files()[table]
    assert len(files) == 1  # the sample incidents: one small file
    return Path(files[0])


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def _commands(location: str, tmp_path: Path) -> dict[str, list[str]]:
    return {
        "report": ["report", "weekly", "--week", WEEK, "--warehouse", location,
                   "--out", str(tmp_path / "weekly.csv")],
        "ingest": ["ingest", str(SAMPLES / "incidents.csv"), "--warehouse", location],
        "quarantine": ["quarantine", "--warehouse", location],
    }


def _one_line_errors(location, tmp_path, capsys, *names: str, fresh: bool = True):
    """Each command ends with exit 2 and one stderr line naming everything in `names`."""
    seen = {}
    for command, argv in _commands(location, tmp_path).items():
        if fresh:
            _fresh_process(tmp_path)
        capsys.readouterr()
        status = main(argv)
        err = capsys.readouterr().err
        assert status == 2, (command, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1, (command, err)
        assert lines[0].startswith(f"modelops {argv[0]}: "), lines
        for name in names:
            assert name in lines[0], (command, name, lines[0])
        seen[command] = lines[0]
    return seen


def test_a_truncated_table_metadata_file_is_named(loaded, capsys):
    location, tmp_path = loaded
    metadata = _metadata_file(tmp_path, "incidents")
    _truncate(metadata)
    _one_line_errors(location, tmp_path, capsys, "table incidents", str(metadata))


def test_an_emptied_commits_metadata_file_is_named_even_with_a_replica(loaded, capsys):
    location, tmp_path = loaded
    metadata = _metadata_file(tmp_path, "modelops_commits")
    metadata.write_bytes(b"")
    # The head is read first by every command: a replica already built does not help.
    _one_line_errors(location, tmp_path, capsys, "table modelops_commits", str(metadata),
                     fresh=False)


@pytest.mark.parametrize("fault", ["deleted", "truncated"])
def test_a_broken_data_file_is_named(loaded, capsys, fault):
    location, tmp_path = loaded
    data = _data_file(location, "incidents")
    if fault == "deleted":
        data.unlink()
    else:
        _truncate(data)
    seen = _one_line_errors(location, tmp_path, capsys, "table incidents", str(data))
    assert ("missing" if fault == "deleted" else "does not read") in seen["report"]


_HOLD = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_locked_catalog_is_waited_for_then_named(loaded, capsys, monkeypatch):
    location, tmp_path = loaded
    monkeypatch.setattr(connect, "LOCK_TIMEOUT_S", 1.0)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(tmp_path / "catalog.db"),
                               "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        for command, argv in _commands(location, tmp_path).items():
            _fresh_process(tmp_path)
            capsys.readouterr()
            started = time.monotonic()
            status = main(argv)
            waited = time.monotonic() - started
            err = capsys.readouterr().err
            assert status == 2, (command, err)
            assert len(err.strip().splitlines()) == 1, err
            assert "still locked by another process after 1 s" in err, err
            assert str(tmp_path / "catalog.db") in err, err
            assert 1.0 <= waited < 4.0, (command, waited)
    finally:
        holder.kill()
        holder.wait()
    # Released, the same command goes through.
    _fresh_process(tmp_path)
    assert main(_commands(location, tmp_path)["quarantine"]) == 0


def test_a_truncated_replica_in_the_cache_is_rebuilt(loaded):
    location, _ = loaded
    replica = backends.read_path(location)
    with duckdb.connect(str(replica), read_only=True) as con:
        incidents = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
    assert incidents > 0
    replica.write_bytes(replica.read_bytes()[:12288])  # the headers, none of the blocks
    iceberg._warehouses.clear()  # a restarted dashboard, same cache
    again = backends.read_path(location)
    with duckdb.connect(str(again), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == incidents


def test_the_reader_keeps_its_newest_replica_and_says_since_when(loaded):
    location, tmp_path = loaded
    replica = backends.read_path(location)
    assert backends.unreachable(location) is None
    _metadata_file(tmp_path, "modelops_commits").write_bytes(b"")
    with pytest.raises(backends.WarehouseError, match="modelops_commits"):
        backends.read_path(location)  # a report must not run on a stale copy
    assert backends.read_path(location, stale_ok=True) == replica
    since, reason = backends.unreachable(location)
    assert "modelops_commits" in reason
    assert timedelta(0) <= datetime.now(UTC) - since < timedelta(minutes=5)
    iceberg._warehouses.clear()  # a restarted dashboard keeps the replica on disk too
    assert backends.read_path(location, stale_ok=True) == replica


def _app(location: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("MODELOPS_WAREHOUSE", location)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    return at


def test_the_dashboard_warns_and_keeps_serving_or_says_why_not(loaded, monkeypatch):
    location, tmp_path = loaded
    at = _app(location, monkeypatch)
    assert not at.exception, at.exception
    assert not [w for w in at.warning if "unreachable" in w.value]
    _metadata_file(tmp_path, "modelops_commits").write_bytes(b"")
    at.run()
    assert not at.exception, at.exception
    # Drawn as text: the Markdown escapes (modelops\\_commits) are not shown.
    warned = [w.value.replace("\\", "") for w in at.warning
              if "catalog unreachable since" in w.value]
    assert len(warned) == 1 and "modelops_commits" in warned[0], [w.value for w in at.warning]
    assert at.title  # the page is drawn from the replica
    # On an empty cache there is nothing to serve: one line saying why, no exception.
    _fresh_process(tmp_path)
    at = _app(location, monkeypatch)
    assert not at.exception, at.exception
    errors = [e.value.replace("\\", "") for e in at.error]
    assert len(errors) == 1 and "modelops_commits" in errors[0], errors
