"""The warehouse as Apache Iceberg tables: one catalog shared by every dashboard replica and
importer, when one machine is not enough (README, "When one machine is not enough").

Location: `MODELOPS_WAREHOUSE` / `--warehouse` set to `iceberg+<SQLAlchemy URL>` with the
data directory as `warehouse=`, pyiceberg's SQL catalog (SQLite locally, Postgres shared):

    iceberg+sqlite:////srv/modelops/catalog.db?warehouse=/srv/modelops/wh
    iceberg+postgresql+psycopg2://user@db/modelops?warehouse=s3://bucket/wh

Design:
- Every warehouse table (the contract's entities, metrics_daily, load_log, quarantine) is an
  Iceberg table in the namespace `modelops`; the time-placed ones are partitioned by month
  of their time column, so a load rewrites only the months it touches.
- **One commit per file, all or nothing.** A write (one ingested file, an import, a demo
  build, an export) runs the unchanged DuckDB code (validation, quarantine, upsert, the
  daily rollup, the load log) on a private DuckDB copy of the current snapshot, then
  writes each changed table (copy-on-write `overwrite` of the changed months, or of the
  whole table: no delete files, ever) and finally appends one row to the table
  `modelops_commits`, whose snapshot summary names the snapshot id of every table. That
  append is the commit point: readers only ever read the table snapshots it names, so
  they see the whole load or none of it. Two writers race on that append through the
  catalog's optimistic commit; the loser (CommitFailedException) redoes its file on the
  new snapshot, so both land and nothing is lost. A loser's table snapshots are never
  named by a commit, and the next writer resets such a table to its committed snapshot
  before writing it.
- **Replicas.** A dashboard (or a report) reads a local DuckDB file holding one committed
  snapshot (`replica-<seq>.duckdb` in the cache directory), built once per commit from
  the tables' data files (unchanged tables are copied from the previous replica) and
  published by rename; pages run the same named SQL on it at today's speed. The catalog
  is asked for the newest commit at most every MODELOPS_ICEBERG_POLL seconds (1), so a new
  snapshot shows on the next rerun, without a restart. No lock or intent files: a reader
  never blocks a writer, and a writer never waits for a reader.
- A data file list with delete files (written by another engine) is refused, not half-read.
- **Faults end in a line.** A metadata or data file that is missing or cut short, or a
  catalog database held by another process (waited for up to MODELOPS_LOCK_TIMEOUT, as a
  DuckDB file is), is an IcebergError naming the table and the file; the CLI prints it as
  one line (exit 2). A reader that may serve a stale copy (the dashboard: `stale_ok`) keeps
  the newest replica it has and records since when the catalog is unreachable; a replica
  in the cache that does not open is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

# pyiceberg is imported where it is used: a process that only reads a DuckDB file (the
# dashboard on the default backend) does not pay for loading it.
from modelops.outputs import copy_file
from modelops.warehouse import connect, ingest, reading, writing
from modelops.warehouse.errors import WarehouseError
from modelops.warehouse.schema import ENTITIES

SCHEME = "iceberg+"
NAMESPACE = "modelops"
COMMITS = "modelops_commits"
# A snapshot's summary property: the snapshot whose rows it rewrote unchanged (maintain).
REWRITE_OF = "modelops.rewrite-of"
POLL_S = float(os.environ.get("MODELOPS_ICEBERG_POLL", "1.0"))
RETRIES = int(os.environ.get("MODELOPS_ICEBERG_RETRIES", "20"))
# While the catalog does not answer, a stale-ok reader (the dashboard) asks again at most
# this often: each attempt may wait up to MODELOPS_LOCK_TIMEOUT on a locked catalog.
RETRY_UNREACHABLE_S = float(os.environ.get("MODELOPS_ICEBERG_RETRY", "30"))
# Tables the DuckDB file keeps for itself (schema and macro versions): not shared.
LOCAL_TABLES = {"schema_version", "macro_version"}
# pyiceberg redoes a commit that lost a race on top of the winner's snapshot by itself
# (commit.retry.num-retries, 4 by default). For the commit row that is a lost update: it names
# the tables this writer read, before the winner's, so the winner's file vanished from the
# head and the next load was checked against older tables ("unknown model_id" for a whole
# file when the winner had loaded models). A writer that lost must redo its whole file on
# the new snapshot (write()), so pyiceberg must not retry: every table carries this.
NO_RETRY = {"commit.retry.num-retries": "0"}
# Below this many rows a changed table is rewritten whole (cheaper than finding the range).
SMALL_TABLE_ROWS = 50_000
# A changed range is written in batches of this many rows (one overwrite, then appends, in
# one Iceberg transaction), so a commit's memory does not grow with the table: a whole
# year of hourly metrics at 10,000 models is 70 M rows, about 9 GB as one Arrow table.
# 2 M hourly rows are about 250 MB as Arrow (pyiceberg's partitioned write copies a batch).
WRITE_BATCH_ROWS = int(os.environ.get("MODELOPS_ICEBERG_BATCH_ROWS", "2000000"))


def is_iceberg(location) -> bool:
    return isinstance(location, str) and location.startswith(SCHEME)


class IcebergError(WarehouseError):
    """A problem with the catalog or its tables that the user must act on (one line; a
    UserError, so `modelops` exits 2)."""


def _reason(error: BaseException) -> str:
    """The first line of an error (pydantic's and SQLAlchemy's run to many lines)."""
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:300]


def time_columns() -> dict[str, str]:
    columns = {name: e.time_column for name, e in ENTITIES.items() if e.time_column}
    columns.update(metrics_daily="day", load_log="loaded_at", quarantine="quarantined_at")
    return columns


def parse_location(location: str) -> tuple[str, dict[str, str]]:
    """(catalog URI, properties) of an `iceberg+...` location."""
    if not is_iceberg(location):
        raise IcebergError(f"not an Iceberg location (iceberg+...): {location!r}")
    rest = location[len(SCHEME):]
    base, _, query_text = rest.partition("?")
    query = dict(parse_qsl(query_text))
    warehouse = query.pop("warehouse", None)
    if not warehouse:
        raise IcebergError("an Iceberg location needs ?warehouse=<data directory or URI>")
    if "://" not in warehouse:
        Path(warehouse).mkdir(parents=True, exist_ok=True)
        warehouse = Path(warehouse).resolve().as_uri()
    uri = base + (f"?{urlencode(query)}" if query else "")
    return uri, {"uri": uri, "warehouse": warehouse}


class IcebergWarehouse:
    """One Iceberg catalog used as the warehouse, with this machine's replica cache."""

    def __init__(self, location: str, cache_dir: Path | None = None):
        from pyiceberg.catalog.sql import SqlCatalog

        self.location = location
        uri, properties = parse_location(location)
        self.uri = uri
        self.sqlite_file = _sqlite_file(uri)
        if self.sqlite_file is not None:
            # SQLite's busy wait, bounded like a DuckDB file's (SQLAlchemy passes `timeout`
            # on to sqlite3.connect); probed first, since pyiceberg's own first statement
            # takes "locked" for "no catalog tables yet".
            timeout = connect.LOCK_TIMEOUT_S
            properties["uri"] = uri + ("&" if "?" in uri else "?") + f"timeout={timeout:g}"
            self._probe_sqlite(timeout)
        with self._faults("catalog"):
            self.catalog = SqlCatalog("modelops", **properties)
        with suppress(Exception):
            self.catalog.create_namespace_if_not_exists(NAMESPACE)
        digest = hashlib.sha256(location.encode()).hexdigest()[:16]
        base = os.environ.get("MODELOPS_ICEBERG_CACHE") or os.path.join(
            os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "modelops")
        self.cache_dir = Path(cache_dir or base) / digest
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._checked = (0.0, None)  # (monotonic time, head) of the last catalog check
        self._verified: set[Path] = set()  # replicas this process has opened once
        # (UTC time, reason) from the first failed check until the next good one.
        self.unreachable: tuple[datetime, str] | None = None
        self._stale: tuple[float, Path] | None = None  # (when, replica) served while so

    # --- faults -----------------------------------------------------------------------------

    def _probe_sqlite(self, timeout: float) -> None:
        """Wait (bounded) for another process's exclusive hold on the catalog file."""
        import sqlite3

        started = time.monotonic()
        try:
            con = sqlite3.connect(self.sqlite_file, timeout=timeout)
            try:
                con.execute("SELECT count(*) FROM sqlite_master").fetchall()
            finally:
                con.close()
        except sqlite3.OperationalError as error:
            raise self._catalog_error(error, started) from None

    def _catalog_error(self, error: BaseException, started: float | None = None
                       ) -> IcebergError:
        where = self.sqlite_file or self.uri
        if "locked" in str(error).lower():
            waited = connect.LOCK_TIMEOUT_S if started is None else time.monotonic() - started
            return IcebergError(f"catalog {where}: still locked by another process after "
                                f"{waited:.0f} s")
        return IcebergError(f"catalog {where}: unreachable: {_reason(error)}")

    @contextmanager
    def _faults(self, what: str, table: str | None = None):
        """The catalog database's errors as one line (IcebergError)."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            yield
        except SQLAlchemyError as error:
            raise self._catalog_error(error) from None

    def _metadata_location(self, name: str) -> str:
        """The table's current metadata file, as the catalog names it (to say which file
        did not read)."""
        from sqlalchemy import text

        with suppress(Exception), self.catalog.engine.connect() as con:
            row = con.execute(text(
                "SELECT metadata_location FROM iceberg_tables WHERE table_namespace = :ns "
                "AND table_name = :name"), {"ns": NAMESPACE, "name": name}).fetchone()
            if row:
                return _local(row[0])
        return "(metadata file unknown)"

    # --- the committed snapshot ------------------------------------------------------------

    def _table(self, name: str):
        """The table at its current metadata; a metadata file that is missing or does not
        parse is an IcebergError naming both."""
        from pyiceberg.exceptions import ValidationError

        with self._faults("load", name):
            try:
                return self.catalog.load_table((NAMESPACE, name))
            except (ValidationError, ValueError, OSError) as error:  # parse, JSON, IO
                raise IcebergError(
                    f"table {name}: metadata file {self._metadata_location(name)} does not "
                    f"read: {_reason(error)}") from None

    def head(self) -> tuple[int, dict[str, int]]:
        """(sequence, {table: snapshot id}) of the newest commit; (0, {}) when none."""
        from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

        try:
            commits = self._table(COMMITS)
        except (NoSuchTableError, NoSuchNamespaceError):  # nothing committed yet
            return 0, {}
        # Any other error (the catalog database unreachable, a metadata file unreadable)
        # goes up: taken for "nothing committed", it would let a writer load a file onto
        # an empty warehouse (every model unknown) and a reader show an empty one.
        snapshot = commits.current_snapshot()
        if snapshot is None:
            return 0, {}
        summary = snapshot.summary.additional_properties if snapshot.summary else {}
        return int(summary["modelops.seq"]), json.loads(summary["modelops.tables"])

    def snapshot_files(self, head=None) -> dict[str, tuple[list[str], pa.Schema]]:
        """Every table's data files and Arrow schema at the committed snapshot (for Spark and
        for replicas). Refuses a snapshot whose files carry delete files."""
        _, tables = head or self.head()
        out = {}
        for name, snapshot_id in tables.items():
            table = self._table(name)
            files = []
            try:
                tasks = list(table.scan(snapshot_id=snapshot_id).plan_files())
            except (ValueError, OSError) as error:  # a manifest missing or cut short
                raise IcebergError(f"table {name}: snapshot {snapshot_id} does not read: "
                                   f"{_reason(error)}") from None
            for task in tasks:
                if task.delete_files:
                    raise IcebergError(
                        f"table {name} snapshot {snapshot_id} has delete files (written by "
                        "another engine); modelops reads copy-on-write tables only")
                files.append(_local(task.file.file_path))
            schema = table.schema().as_arrow()
            out[name] = (files, schema)
        return out

    # --- replicas ---------------------------------------------------------------------------

    def replica(self, stale_ok: bool = False) -> Path:
        """A local DuckDB file holding the newest committed snapshot (built when missing).

        When the catalog or a file it names does not read: an IcebergError, or with
        `stale_ok` (a dashboard: better the last good numbers, said to be old, than none)
        the newest replica in the cache, with `unreachable` set to since when and why."""
        now = time.monotonic()
        checked_at, head = self._checked
        if stale_ok and self._stale is not None and now - self._stale[0] < RETRY_UNREACHABLE_S:
            return self._stale[1]
        try:
            if head is None or now - checked_at >= POLL_S:
                head = self.head()
                self._checked = (now, head)
            path = self._replica_for(head)
        except IcebergError as error:
            fallback = self._newest_good_replica() if stale_ok else None
            if fallback is None:
                raise
            if self.unreachable is None:
                self.unreachable = (datetime.now(UTC), str(error))
            self._stale = (now, fallback)
            return fallback
        self.unreachable, self._stale = None, None
        return path

    def _opens(self, path: Path, seq: int | None = None) -> bool:
        """Whether a replica opens and says which commit it holds (`seq`, when given); once
        per file per process, so a rerun costs no more than a stat."""
        if path in self._verified:
            return True
        try:
            con = duckdb.connect(str(path), read_only=True)
            try:
                held = con.execute("SELECT seq FROM iceberg_snapshot").fetchone()[0]
            finally:
                con.close()
        except (duckdb.Error, TypeError):
            return False
        if seq is not None and held != seq:
            return False
        self._verified.add(path)
        return True

    def _newest_good_replica(self) -> Path | None:
        for path in sorted(self.cache_dir.glob("replica-*.duckdb"), reverse=True):
            if self._opens(path):
                return path
        return None

    def _replica_path(self, seq: int) -> Path:
        return self.cache_dir / f"replica-{seq:012d}.duckdb"

    def _replica_for(self, head) -> Path:
        seq, _tables = head
        path = self._replica_path(seq)
        if path.exists() and self._opens(path, seq):
            return path
        with self._lock:
            if path.exists() and self._opens(path, seq):
                return path
            # Missing, or cut short (a full disk, a killed copy): built again.
            self._verified.discard(path)
            for broken in (path, Path(f"{path}.wal")):
                broken.unlink(missing_ok=True)
            tmp = Path(tempfile.mkstemp(prefix=f"replica-{seq}-", suffix=".tmp",
                                        dir=self.cache_dir)[1])
            tmp.unlink()
            try:
                self._build(tmp, head)
                os.replace(tmp, path)
            finally:
                for leftover in (tmp, Path(f"{tmp}.wal")):
                    leftover.unlink(missing_ok=True)
            self._prune(keep=path)
        return path

    def _build(self, path: Path, head) -> None:
        seq, tables = head
        previous = self._previous_replica(seq)
        files = self.snapshot_files(head)
        with writing(path) as con:  # the schema of this modelops
            local = _base_tables(con)
            if previous is not None:
                con.execute(f"ATTACH '{_q(previous[0])}' AS prev (READ_ONLY)")
            for name in local - LOCAL_TABLES:
                if name not in tables:
                    continue
                held = previous[1].get(name) if previous is not None else None
                if held is not None and (held == tables[name]
                                         or held == self._rewrite_of(name, tables[name])):
                    # The same snapshot, or `modelops maintain`'s rewrite of it (same rows).
                    con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM prev."{name}"')
                elif files[name][0]:
                    sources = ", ".join(f"'{_q(f)}'" for f in files[name][0])
                    try:
                        con.execute(f'INSERT INTO "{name}" BY NAME '
                                    f"SELECT * FROM read_parquet([{sources}], "
                                    "hive_partitioning = false, union_by_name = true)")
                    except duckdb.Error as error:
                        raise _data_file_error(name, files[name][0], error) from None
            if previous is not None:
                con.execute("DETACH prev")
            con.execute("CREATE OR REPLACE TABLE iceberg_snapshot "
                        "(seq BIGINT, tables VARCHAR)")
            con.execute("INSERT INTO iceberg_snapshot VALUES (?, ?)", [seq, json.dumps(tables)])
            con.execute("CHECKPOINT")

    def _rewrite_of(self, name: str, snapshot_id: int) -> int | None:
        """The snapshot that `snapshot_id` holds the same rows as, when it is a compaction's
        rewrite of it (`modelops maintain`, modelops/backends/iceberg_maintain.py)."""
        snapshot = self._table(name).snapshot_by_id(snapshot_id)
        summary = snapshot.summary.additional_properties if snapshot and snapshot.summary else {}
        return int(summary[REWRITE_OF]) if REWRITE_OF in summary else None

    def _previous_replica(self, seq: int):
        """(path, tables) of the newest complete replica older than `seq`, if any."""
        for path in sorted(self.cache_dir.glob("replica-*.duckdb"), reverse=True):
            if int(path.stem.split("-")[1]) >= seq:
                continue
            # Attached, not connected: a process that reads the replica (the dashboard,
            # through modelops.warehouse.reading) holds it open with another configuration,
            # and DuckDB refuses a second connect to it, which made every build a full one.
            con = duckdb.connect()
            try:
                con.execute(f"ATTACH '{_q(path)}' AS held (READ_ONLY)")
                row = con.execute("SELECT tables FROM held.iceberg_snapshot").fetchone()
                return path, json.loads(row[0])
            except duckdb.Error:
                continue
            finally:
                con.close()
        return None

    def _prune(self, keep: Path, keep_count: int = 3) -> None:
        """Old replicas go (a process still reading one keeps its open file)."""
        replicas = sorted(self.cache_dir.glob("replica-*.duckdb"), reverse=True)
        for old in replicas[keep_count:]:
            if old != keep:
                old.unlink(missing_ok=True)
                Path(f"{old}.wal").unlink(missing_ok=True)

    def read_path(self) -> Path:
        """The backends' interface (modelops/backends): the replica readers open now."""
        return self.replica()

    # --- writing ----------------------------------------------------------------------------

    def ingest(self, paths: list[Path], entity: str | None = None):
        """`modelops ingest` into the catalog: each file is one commit (ingest.ingest_files
        run on a private copy of the newest snapshot); yields each file's LoadResult."""
        if not entity:
            paths = sorted(paths, key=ingest.load_order)
        for path in paths:
            results = self.write(
                lambda work, path=path: list(ingest.ingest_files(work, [path], entity=entity)),
                what=f"ingest {path}")
            yield from results

    def write(self, work: Callable[[Path], object], what: str = "write"):
        """Run `work(path)` on a private DuckDB copy of the newest snapshot and commit what
        it changed as one commit; redone on a newer snapshot when another writer committed
        first. Returns work's result."""
        from pyiceberg.exceptions import CommitFailedException, ValidationException

        delay = 0.05
        for attempt in range(RETRIES):
            head = self.head()
            base = self._replica_for(head)
            scratch = Path(tempfile.mkdtemp(prefix="modelops-write-", dir=self.cache_dir))
            work_path = scratch / "warehouse.duckdb"
            try:
                shutil.copyfile(base, work_path)
                result = work(work_path)
                try:
                    with self._faults(what):
                        new_head = self._commit(head, base, work_path, what)
                except (CommitFailedException, ValidationException):
                    # Another writer committed first (the catalog's optimistic check, or
                    # pyiceberg's conflict validation of a concurrent overwrite): redo.
                    if attempt == RETRIES - 1:
                        raise
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                if new_head is not None:  # this copy is the new snapshot's replica
                    _drop_local(work_path, "iceberg_snapshot")
                    _mark(work_path, new_head)
                    target = self._replica_path(new_head[0])
                    if not target.exists():
                        os.replace(work_path, target)
                    self._checked = (time.monotonic(), new_head)
                return result
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        raise IcebergError(f"{what}: could not commit after {RETRIES} attempts")

    def _commit(self, head, base: Path, work_path: Path, what: str):
        """Write every table that differs between `base` and `work_path`, then the commit
        row. Returns the new head, or None when nothing changed."""
        seq, tables = head
        changed = {}
        # A writer's buffer pool (connect.WRITER_MEMORY): unbounded, DuckDB kept the blocks
        # of every table it compared and streamed out (2.9 GB and growing in an export of
        # 10,000 models, where the writes themselves hold one batch).
        con = duckdb.connect(str(work_path), read_only=True,
                             config={"memory_limit": connect.WRITER_MEMORY})
        try:
            con.execute(f"ATTACH '{_q(base)}' AS base (READ_ONLY)")
            con.execute("SET TimeZone = 'UTC'")
            base_tables = _base_tables(con, "base")
            for name in sorted(_base_tables(con) - LOCAL_TABLES - {"iceberg_snapshot"}):
                plan = _change_plan(con, name, name in base_tables and name in tables)
                if plan is not None:
                    changed[name] = plan
            if not changed:
                return None
            new_tables = dict(tables)
            for name, (arrow_filter_range, full) in changed.items():
                new_tables[name] = self._write_table(con, name, tables.get(name),
                                                     arrow_filter_range, full, seq + 1)
        finally:
            con.close()
        self._append_commit(seq + 1, new_tables, what)
        return seq + 1, new_tables

    def _write_table(self, con, name: str, base_snapshot: int | None, window, full: bool,
                     seq: int) -> int:
        # The relation API streams (Arrow from an execute() result copies every row first),
        # on a cursor of its own: `con` may still hold a result of _change_plan's.
        cursor = con.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        batches = cursor.sql(f'SELECT * FROM "{name}"' + (
            "" if full else f' WHERE "{window[0]}" >= $lo AND "{window[0]}" < $hi'),
            params=None if full else {"lo": window[1], "hi": window[2]}
        ).to_arrow_reader(WRITE_BATCH_ROWS)
        table = self._ensure_table(name, batches.schema)
        if base_snapshot is not None and (table.current_snapshot() is None or
                                          table.current_snapshot().snapshot_id != base_snapshot):
            # An uncommitted snapshot (a writer that lost the race or died) sits on top.
            table.manage_snapshots().set_current_snapshot(base_snapshot).commit()
            table = self._table(name)
        if base_snapshot is None:
            full = True
        schema = table.schema().as_arrow()
        properties = {"modelops.seq": str(seq)}
        # pyiceberg warns when an overwrite's filter matched nothing (a new month): expected.
        warnings.filterwarnings("ignore", message="Delete operation did not match any records")
        try:
            # The first batch replaces the range (an empty batch too: the range may have
            # no rows now), the others are appended: one catalog commit for them all.
            parts = (batch for batch in batches if batch.num_rows)
            first = next(parts, batches.schema.empty_table())
            with table.transaction() as transaction:
                self._overwrite(transaction, _table_of(first, schema), full, window, properties)
                for batch in parts:
                    transaction.append(_table_of(batch, schema), snapshot_properties=properties)
        except (OSError, pa.ArrowException) as error:  # a data file it rewrites is broken
            raise IcebergError(f"table {name}: {_reason(error)}") from None
        finally:
            cursor.close()
        return self._table(name).current_snapshot().snapshot_id

    @staticmethod
    def _overwrite(table, arrow: pa.Table, full: bool, window, properties) -> None:
        """`table` is a pyiceberg Table or Transaction."""
        from pyiceberg.expressions import AlwaysTrue, And, GreaterThanOrEqual, LessThan

        if full:
            table.overwrite(arrow, overwrite_filter=AlwaysTrue(), snapshot_properties=properties)
        else:
            column, lo, hi = window
            kind = arrow.schema.field(column).type
            table.overwrite(arrow, overwrite_filter=And(
                GreaterThanOrEqual(column, _iso(_bound(lo, kind))),
                LessThan(column, _iso(_bound(hi, kind)))),
                            snapshot_properties=properties)

    def _ensure_table(self, name: str, schema: pa.Schema):
        from pyiceberg.exceptions import NoSuchTableError

        try:
            table = self._table(name)
        except NoSuchTableError:
            return self._create_table(name, schema)
        if any(table.properties.get(k) != v for k, v in NO_RETRY.items()):
            # A table of an older modelops: once, on its first write.
            with table.transaction() as transaction:
                transaction.set_properties(NO_RETRY)
            table = self._table(name)
        return table

    def _create_table(self, name: str, schema: pa.Schema):
        from pyiceberg.partitioning import PartitionField, PartitionSpec
        from pyiceberg.transforms import MonthTransform

        table = self.catalog.create_table_if_not_exists((NAMESPACE, name), schema=schema,
                                                        properties=NO_RETRY)
        column = time_columns().get(name)
        if column and table.spec().is_unpartitioned() and table.current_snapshot() is None:
            field = table.schema().find_field(column)
            with table.update_spec() as spec:
                spec.add_field(column, MonthTransform(), f"{column}_month")
            del field, PartitionField, PartitionSpec
            table = self._table(name)
        return table

    def _append_commit(self, seq: int, tables: dict[str, int], what: str) -> None:
        schema = pa.schema([("seq", pa.int64()), ("committed_at", pa.timestamp("us")),
                            ("what", pa.string()), ("tables", pa.string())])
        table = self._ensure_table(COMMITS, schema)
        current = table.current_snapshot()
        summary = (current.summary.additional_properties if current and current.summary
                   else {})
        if int(summary.get("modelops.seq", 0)) != seq - 1:
            from pyiceberg.exceptions import CommitFailedException

            raise CommitFailedException(f"another writer committed {summary.get('modelops.seq')}")
        row = pa.table({"seq": [seq], "committed_at": [datetime.now(UTC).replace(tzinfo=None)],
                        "what": [what[:500]], "tables": [json.dumps(tables)]}, schema=schema)
        table.append(row, snapshot_properties={"modelops.seq": str(seq),
                                               "modelops.tables": json.dumps(tables)})


# --- helpers ---------------------------------------------------------------------------------

def _table_of(batch: pa.RecordBatch | pa.Table, schema: pa.Schema) -> pa.Table:
    return (pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch)
            else batch).cast(schema)


def _q(path) -> str:
    return str(path).replace("'", "''")


def _iso(value) -> str:
    """A range bound as pyiceberg's literal: a date column's bound as a date."""
    return value.isoformat()


def iso_bound(value, arrow_type) -> str:
    """A range bound as pyiceberg's literal for a column of `arrow_type`."""
    return _iso(_bound(value, arrow_type))


def _bound(value, arrow_type):
    """The range bound in the column's type (date_trunc gives a timestamp)."""
    if pa.types.is_date(arrow_type) and isinstance(value, datetime):
        return value.date()
    return value


def _local(file_path: str) -> str:
    return file_path.removeprefix("file://")


def _sqlite_file(uri: str) -> str | None:
    """The database file of a `sqlite:///PATH` catalog URI (None for any other)."""
    if not uri.startswith("sqlite:///"):
        return None
    return uri[len("sqlite:///"):].partition("?")[0] or None


def _data_file_error(table: str, files: list[str], error: BaseException) -> IcebergError:
    """Which of a table's data files is missing or does not read (DuckDB's message names
    only the first file it tried, not always the broken one)."""
    for file in files:
        if not os.path.exists(file):
            return IcebergError(f"table {table}: data file {file} is missing")
        try:
            pq.read_metadata(file)
        except (OSError, pa.ArrowException) as broken:
            return IcebergError(f"table {table}: data file {file} does not read: "
                                f"{_reason(broken)}")
    return IcebergError(f"table {table}: data files do not read: {_reason(error)}")


def _base_tables(con, catalog: str | None = None) -> set[str]:
    where = f"table_catalog = '{catalog}'" if catalog else "table_catalog = current_database()"
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        f"AND table_type = 'BASE TABLE' AND {where}").fetchall()}


def _change_plan(con, name: str, in_base: bool):
    """None when `name` is the same in work and base; else ((time column, lo, hi) or None,
    full rewrite?). Compared by row count and a sum of row hashes (a scan, not a set
    difference: EXCEPT ALL took 40 s on 1.4 M hourly rows); the changed range is the
    days whose counts or hashes differ, [first, last + 1 day)."""
    if not in_base:
        return None, True
    digest = 'SELECT count(*), sum(hash(t)::HUGEINT) FROM {} t'
    if (con.execute(digest.format(f'"{name}"')).fetchone()
            == con.execute(digest.format(f'base."{name}"')).fetchone()):
        return None
    column = time_columns().get(name)
    rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    if column is None or rows < SMALL_TABLE_ROWS:
        return None, True
    per_day = ("SELECT date_trunc('day', t.\"{c}\") AS d, count(*) AS n, "
               "sum(hash(t)::HUGEINT) AS h FROM {t} t GROUP BY 1")
    work_days = per_day.format(c=column, t=f'"{name}"')
    base_days = per_day.format(c=column, t=f'base."{name}"')
    lo, hi, nulls = con.execute(
        f"WITH w AS ({work_days}), b AS ({base_days}) "
        "SELECT min(coalesce(w.d, b.d)), max(coalesce(w.d, b.d)), "
        "count(*) FILTER (WHERE w.d IS NULL AND b.d IS NULL) "
        "FROM w FULL JOIN b ON w.d IS NOT DISTINCT FROM b.d "
        "WHERE w.n IS DISTINCT FROM b.n OR w.h IS DISTINCT FROM b.h").fetchone()
    if lo is None or nulls:
        return None, True
    return (column, lo, hi + timedelta(days=1)), False


def _drop_local(path: Path, table: str) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(f'DROP TABLE IF EXISTS "{table}"')
    finally:
        con.close()


def _mark(path: Path, head) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE OR REPLACE TABLE iceberg_snapshot (seq BIGINT, tables VARCHAR)")
        con.execute("INSERT INTO iceberg_snapshot VALUES (?, ?)", [head[0], json.dumps(head[1])])
        con.execute("CHECKPOINT")
    finally:
        con.close()


_warehouses: dict[str, IcebergWarehouse] = {}
_warehouses_lock = threading.Lock()


def open_warehouse(location: str) -> IcebergWarehouse:
    """The process's IcebergWarehouse for a location (one catalog client and poll clock)."""
    with _warehouses_lock:
        if location not in _warehouses:
            _warehouses[location] = IcebergWarehouse(location)
        return _warehouses[location]


def replica_path(location: str) -> Path:
    return open_warehouse(location).replica()


# --- moving a warehouse in and out -------------------------------------------------------------

def export_file_to_catalog(source: Path, location: str) -> int:
    """Copy a DuckDB warehouse file into the catalog as one commit; returns its sequence."""
    warehouse = open_warehouse(location)

    def copy(work_path: Path) -> None:
        work_path.unlink()
        with reading(source):  # migrates an older file first
            pass
        shutil.copyfile(source, work_path)

    warehouse.write(copy, what=f"export {source}")
    return warehouse.head()[0]


def export_catalog_to_file(location: str, target: Path) -> Path:
    """The newest committed snapshot as a DuckDB warehouse file at `target`."""
    replica = open_warehouse(location).replica()
    target.parent.mkdir(parents=True, exist_ok=True)
    return copy_file(replica, target, protected=(Path(replica), Path(f"{replica}.wal")),
                     finish=lambda tmp: _drop_local(tmp, "iceberg_snapshot"))


# --- the commands' writes ---------------------------------------------------------------------

def ingest_files(location: str, paths: list[Path], entity: str | None = None):
    """`modelops ingest` into the catalog: each file is one commit (ingest.ingest_files run
    on a private copy of the newest snapshot); yields each file's LoadResult."""
    return open_warehouse(location).ingest(paths, entity)


def write_through(location: str, work: Callable[[Path], object], what: str):
    """Any other write (demo, import): `work(path)` on a copy of the newest snapshot, one
    commit."""
    return open_warehouse(location).write(work, what=what)
