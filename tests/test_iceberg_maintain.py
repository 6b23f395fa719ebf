"""`modelops maintain` on an Iceberg catalog (modelops/backends/iceberg_maintain.py, issue 31
item 3): compaction keeps every row and every KPI, expiry never takes the snapshot the newest
commit names, orphans go but a young one stays, a dry run changes nothing, and an ingest that
races maintain is never lost.

The catalog is built through `modelops ingest`: the four reference files (4 commits), then
DAYS one-day files of hourly metrics for two models, each on its own November day (DAYS more
commits). SMALL_TABLE_ROWS is 0, so every time-placed table takes a large table's path (only
the changed day is rewritten): each day then adds one data file to the November partition of
metrics_hourly and metrics_daily, the small files compaction exists for.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from modelops.backends import iceberg, iceberg_maintain
from modelops.backends.iceberg_maintain import maintain
from modelops.cli import main
from modelops.warehouse import reading
from queries.filters import Filter
from queries.kpi import serving

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
REFERENCE = [str(SAMPLES / f"{n}.csv") for n in ("business_units", "teams", "vendors",
                                                 "models")]
DAYS = 3
HOURLY_ROWS = 16  # the sample: 2 models x 8 hours of 17 November 2026
NOVEMBER = Filter(datetime(2026, 11, 1), datetime(2026, 12, 1))
TABLES = ("metrics_hourly", "metrics_daily", "models", "load_log")


@pytest.fixture
def catalog(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELOPS_ICEBERG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(iceberg, "POLL_S", 0.0)
    monkeypatch.setattr(iceberg, "SMALL_TABLE_ROWS", 0)
    iceberg._warehouses.clear()
    yield f"iceberg+sqlite:///{tmp_path / 'catalog.db'}?warehouse={tmp_path / 'wh'}"
    iceberg._warehouses.clear()


def _day_file(tmp: Path, day: int) -> Path:
    """The sample's 16 hourly rows moved to `day` November 2026."""
    path = tmp / f"day{day:02d}" / "metrics_hourly.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT * REPLACE (hour + INTERVAL ({day - 17}) DAY AS hour) "
                    f"FROM '{SAMPLES / 'metrics_hourly.parquet'}') TO '{path}' "
                    "(FORMAT parquet)")
    finally:
        con.close()
    return path


@pytest.fixture
def loaded(catalog, tmp_path):
    assert main(["ingest", *REFERENCE, "--warehouse", catalog]) == 0
    for day in range(1, DAYS + 1):
        assert main(["ingest", str(_day_file(tmp_path, day)), "--warehouse", catalog]) == 0
    assert iceberg.open_warehouse(catalog).head()[0] == len(REFERENCE) + DAYS
    return catalog


def _reader(location: str, cache: Path) -> Path:
    """A replica built by a reader with its own (cold) cache."""
    warehouse = iceberg.IcebergWarehouse(location, cache_dir=cache)
    return warehouse._replica_for(warehouse.head())


def _digest(replica: Path) -> dict:
    """Per table (count, sum of row hashes), and the serving KPIs for November."""
    with reading(replica) as con:  # as the pages read it
        out = {t: con.execute(f'SELECT count(*), sum(hash(x)::HUGEINT) FROM "{t}" x')
               .fetchall()[0] for t in TABLES}
        out["serving"] = serving(con, NOVEMBER).sort("model_id").to_dicts()
    return out


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file()}


def _data_files(location: str, name: str) -> int:
    warehouse = iceberg.IcebergWarehouse(location)
    snapshot = warehouse.head()[1].get(name) if name != iceberg.COMMITS else None
    table = warehouse._table(name)
    return len(list(table.scan(snapshot_id=snapshot).plan_files()))


def _by_table(report) -> dict:
    return {t.table: t for t in report.tables}


def test_maintain_compacts_expires_and_every_row_and_kpi_stays(loaded, tmp_path):
    before = _digest(_reader(loaded, tmp_path / "reader-before"))
    assert before["metrics_hourly"][0] == DAYS * HOURLY_ROWS
    assert len(before["serving"]) == 5  # every model of models.csv is in scope
    commits = len(REFERENCE) + DAYS
    # One file per day in the November partition; one one-row file per commit.
    assert _data_files(loaded, "metrics_hourly") == DAYS
    assert _data_files(loaded, iceberg.COMMITS) == commits

    report = maintain(loaded, retain=timedelta(0), min_age=timedelta(0))

    done = _by_table(report)
    # The rewrite is a commit of its own: DAYS files -> 1 for both November tables.
    assert report.commit == commits + 1
    assert iceberg.IcebergWarehouse(loaded).head()[0] == commits + 1
    for name in ("metrics_hourly", "metrics_daily"):
        assert (done[name].files_before, done[name].files_after) == (DAYS, 1)
        assert _data_files(loaded, name) == 1
    assert (done[iceberg.COMMITS].files_before, done[iceberg.COMMITS].files_after) == (
        commits, 1)
    # Snapshots (a rewrite makes two: pyiceberg's overwrite deletes, then appends): each
    # commit appended one to modelops_commits, the rewrite two more; at retention 0 all but
    # the current one expire.
    assert (done[iceberg.COMMITS].snapshots_before,
            done[iceberg.COMMITS].snapshots_expired) == (commits + 2, commits + 1)
    # metrics_hourly: the first commit writes every table (empty: 1 snapshot), each day
    # appends one (its new day matched no row to delete), the rewrite 2.
    assert (done["metrics_hourly"].snapshots_before,
            done["metrics_hourly"].snapshots_expired) == (DAYS + 3, DAYS + 2)
    # models: the first commit's empty snapshot, then models.csv's, the committed one.
    assert (done["models"].snapshots_before, done["models"].snapshots_expired) == (2, 1)
    # The expired snapshots' files went: the replaced day files among them.
    assert done["metrics_hourly"].orphans >= DAYS and done["metrics_hourly"].orphan_bytes > 0
    for name in (iceberg.COMMITS, "metrics_hourly", "models"):
        table = iceberg.IcebergWarehouse(loaded)._table(name)
        assert len(table.metadata.snapshots) == 1

    # The same rows and KPIs, for a reader that builds cold and for the dashboard's own
    # replica (built from its previous one).
    assert _digest(_reader(loaded, tmp_path / "reader-after")) == before
    assert _digest(iceberg.replica_path(loaded)) == before
    # ... and a second run has nothing left to do.
    again = _by_table(maintain(loaded, retain=timedelta(0), min_age=timedelta(0)))
    assert sum(t.snapshots_expired for t in again.values()) == 0
    assert all(t.files_before == t.files_after for t in again.values())
    # Ingest still works on top, and lands.
    assert main(["ingest", str(_day_file(tmp_path, 20)), "--warehouse", loaded]) == 0
    after = _digest(_reader(loaded, tmp_path / "reader-last"))
    assert after["metrics_hourly"][0] == (DAYS + 1) * HOURLY_ROWS


def test_a_reader_copies_the_rewritten_tables_from_its_previous_replica(loaded, tmp_path):
    """A compaction changes no row: a dashboard that holds the previous commit's replica
    builds the next one without reading the new data files (here broken to prove it),
    while a reader with no replica has to read them."""
    previous = iceberg.IcebergWarehouse(loaded, cache_dir=tmp_path / "dashboard")
    before = _digest(previous._replica_for(previous.head()))
    maintain(loaded, retain=timedelta(days=7), min_age=timedelta(hours=1))
    warehouse = iceberg.IcebergWarehouse(loaded)
    rewritten = [task.file.file_path.removeprefix("file://") for name in
                 ("metrics_hourly", "metrics_daily") for task in warehouse._table(name).scan(
                     snapshot_id=warehouse.head()[1][name]).plan_files()]
    assert len(rewritten) == 2
    for path in rewritten:
        Path(path).write_bytes(b"not parquet")
    assert _digest(previous._replica_for(previous.head())) == before
    with pytest.raises(iceberg.IcebergError, match="does not read"):
        _reader(loaded, tmp_path / "cold")


def test_retention_keeps_what_was_superseded_recently(loaded, tmp_path):
    """Snapshots superseded before the cutoff expire; the one replaced after it stays."""
    cutoff = datetime.now(UTC)
    time.sleep(0.01)
    assert main(["ingest", str(_day_file(tmp_path, 25)), "--warehouse", loaded]) == 0
    report = _by_table(maintain(loaded, retain=timedelta(hours=1), now=cutoff + timedelta(
        hours=1), dry_run=True))
    commits = len(REFERENCE) + DAYS
    # modelops_commits: snapshots 1..commits were superseded before the cutoff except the
    # last, replaced by the ingest after it.
    assert report[iceberg.COMMITS].snapshots_expired == commits - 1
    # load_log: written by every commit, 1 snapshot for the first, 2 for each later one:
    # 2 * commits - 1 before the cutoff, of which all but the last were superseded then.
    assert report["load_log"].snapshots_expired == 2 * commits - 2
    # models: the first commit's empty snapshot, superseded by models.csv's before the
    # cutoff; models.csv's is the committed one.
    assert report["models"].snapshots_expired == 1


def test_the_committed_snapshot_survives_retention_zero_under_an_uncommitted_one(loaded,
                                                                                  tmp_path):
    """A writer that died after writing `models` but before its commit row leaves a newer
    snapshot on top; the snapshot the newest commit names is older, superseded, past any
    retention, and still never expired: every reader resolves through it."""
    warehouse = iceberg.IcebergWarehouse(loaded)
    committed = warehouse.head()[1]["models"]
    table = warehouse._table("models")
    table.overwrite(table.scan().to_arrow().slice(0, 1))  # the dead writer's snapshot
    assert warehouse._table("models").current_snapshot().snapshot_id != committed
    before = _digest(_reader(loaded, tmp_path / "a"))

    report = _by_table(maintain(loaded, retain=timedelta(0), min_age=timedelta(0)))

    snapshots = {s.snapshot_id for s in warehouse._table("models").metadata.snapshots}
    assert committed in snapshots
    # Only the first commit's empty snapshot is older than the committed one; the dead
    # writer's two (its overwrite's delete and append) are newer: left to the next writer.
    assert (report["models"].snapshots_before, report["models"].snapshots_expired) == (4, 1)
    assert _digest(_reader(loaded, tmp_path / "b")) == before
    assert before["models"][0] == 5  # models.csv, not the dead writer's one row


def test_orphans_go_but_a_young_one_stays(loaded, tmp_path):
    maintain(loaded, retain=timedelta(0), min_age=timedelta(0))  # a clean start
    data = Path(iceberg.IcebergWarehouse(loaded)._table("metrics_hourly").metadata.location
                .removeprefix("file://")) / "data"
    old, young = data / "left-by-a-killed-writer.parquet", data / "being-written.parquet"
    old.write_bytes(b"x" * 1000)
    young.write_bytes(b"y" * 10)
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    before = _digest(_reader(loaded, tmp_path / "a"))

    done = _by_table(maintain(loaded, retain=timedelta(0), min_age=timedelta(hours=1)))

    assert (done["metrics_hourly"].orphans, done["metrics_hourly"].orphan_bytes) == (1, 1000)
    assert not old.exists() and young.exists()
    assert sum(t.orphans for t in done.values()) == 1
    assert _digest(_reader(loaded, tmp_path / "b")) == before


def test_a_dry_run_changes_nothing_and_says_what_a_run_does(loaded, tmp_path, capsys):
    root = tmp_path / "wh"
    files, catalog = _files(root), (tmp_path / "catalog.db").read_bytes()
    assert main(["maintain", "--warehouse", loaded, "--retain", "0", "--min-age", "0",
                 "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert _files(root) == files and (tmp_path / "catalog.db").read_bytes() == catalog
    # A dry run compacts nothing: of the DAYS + 1 snapshots all but the committed one.
    assert (f"dry run, nothing changed: metrics_hourly: {DAYS} of {DAYS + 1} snapshots "
            f"expired, {DAYS} -> 1 data files") in dry
    assert main(["maintain", "--warehouse", loaded, "--retain", "0", "--min-age", "0"]) == 0
    real = capsys.readouterr().out
    assert f"metrics_hourly: {DAYS + 2} of {DAYS + 3} snapshots expired" in real
    assert f"compaction committed as commit {len(REFERENCE) + DAYS + 1}" in real


def test_an_ingest_that_races_maintain_is_not_lost(loaded, tmp_path, monkeypatch, capsys):
    """An ingest commits between maintain's rewrite of the data tables and its commit row:
    maintain stops with one line (exit 2), the ingest's rows are there, and a second run
    converges."""
    late = _day_file(tmp_path, 28)
    rewrite_commits = iceberg_maintain._rewrite_commits

    def an_ingest_commits_first(*args, **kwargs):
        assert next(iter(iceberg.IcebergWarehouse(loaded).ingest([late]))).quarantined == 0
        monkeypatch.setattr(iceberg_maintain, "_rewrite_commits", rewrite_commits)
        return rewrite_commits(*args, **kwargs)

    monkeypatch.setattr(iceberg_maintain, "_rewrite_commits", an_ingest_commits_first)
    assert main(["maintain", "--warehouse", loaded, "--retain", "0", "--min-age", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    commits = len(REFERENCE) + DAYS
    assert err == [(f"modelops maintain: another writer committed after commit {commits} "
                   "while maintain compacted; nothing was changed: run `modelops maintain` "
                   "again")]
    head = iceberg.IcebergWarehouse(loaded).head()
    assert head[0] == commits + 1  # the ingest's commit, not maintain's
    assert _digest(_reader(loaded, tmp_path / "a"))["metrics_hourly"][0] == (
        (DAYS + 1) * HOURLY_ROWS)

    assert main(["maintain", "--warehouse", loaded, "--retain", "0", "--min-age", "0"]) == 0
    assert iceberg.IcebergWarehouse(loaded).head()[0] == commits + 2
    assert _data_files(loaded, "metrics_hourly") == 1
    assert _data_files(loaded, iceberg.COMMITS) == 1
    assert _digest(_reader(loaded, tmp_path / "b"))["metrics_hourly"][0] == (
        (DAYS + 1) * HOURLY_ROWS)


def test_a_duckdb_file_has_nothing_to_maintain_and_bad_ages_are_one_line(tmp_path, capsys):
    path = tmp_path / "wh.duckdb"
    assert main(["maintain", "--warehouse", str(path)]) == 0
    assert "nothing to maintain" in capsys.readouterr().out
    assert main(["maintain", "--warehouse", str(path), "--retain", "7 weeks"]) == 2
    assert capsys.readouterr().err.strip() == (
        "modelops maintain: --retain: expected a number with d, h, m or s (7d, 12h, 0): "
        "'7 weeks'")


def test_compacting_only_the_commits_table_is_no_new_commit(loaded, tmp_path):
    """When no data table needs a rewrite, modelops_commits is rewritten in place: the
    newest commit keeps its number and tables, so no dashboard builds a new replica."""
    maintain(loaded, retain=timedelta(0), min_age=timedelta(0))
    assert main(["ingest", REFERENCE[2], "--warehouse", loaded]) == 0  # vendors again
    warehouse = iceberg.IcebergWarehouse(loaded)
    head = warehouse.head()
    assert head[0] == len(REFERENCE) + DAYS + 2  # the compaction's commit, the ingest's
    assert _data_files(loaded, iceberg.COMMITS) == 2
    replica = iceberg.replica_path(loaded)

    report = maintain(loaded, retain=timedelta(0), min_age=timedelta(0))

    assert report.commit is None
    assert warehouse.head() == head
    assert _data_files(loaded, iceberg.COMMITS) == 1
    assert iceberg.replica_path(loaded) == replica


def test_only_the_partitions_with_small_files_are_rewritten(loaded, tmp_path):
    """A month with one file is left as it is; November's DAYS files become one."""
    assert main(["ingest", str(_day_file(tmp_path, -5)), "--warehouse", loaded]) == 0  # 26 Oct
    warehouse = iceberg.IcebergWarehouse(loaded)

    def files() -> dict[str, list[str]]:
        table = warehouse._table("metrics_hourly")
        out: dict[str, list[str]] = {}
        for task in table.scan(snapshot_id=warehouse.head()[1]["metrics_hourly"]).plan_files():
            out.setdefault(task.file.file_path.split("hour_month=")[1][:7], []).append(
                task.file.file_path)
        return out

    before, rows = files(), _digest(_reader(loaded, tmp_path / "a"))
    assert {month: len(paths) for month, paths in before.items()} == {
        "2026-10": 1, "2026-11": DAYS}

    done = _by_table(maintain(loaded, retain=timedelta(days=7)))

    assert (done["metrics_hourly"].files_before, done["metrics_hourly"].files_after) == (
        DAYS + 1, 2)
    after = files()
    assert after["2026-10"] == before["2026-10"]  # the same file, not rewritten
    assert len(after["2026-11"]) == 1 and after["2026-11"] != before["2026-11"]
    assert _digest(_reader(loaded, tmp_path / "b")) == rows
