"""`modelops maintain`: keep an Iceberg warehouse as fast and as small after a year of
5-minute syncs (about 100,000 commits) as after its first day (README, "When one machine
is not enough", Maintenance).

Every commit adds a snapshot to each table it writes and to `modelops_commits`, a new
metadata.json per table (which lists every snapshot, so it grows with each), a manifest list,
manifests and data files; `modelops_commits` gains one one-row data file per commit. Left
alone, the head check (which parses the commits table's metadata.json) and every commit
slow down with the number of commits, and the disk fills with metadata files. Three steps,
in this order, per table of the catalog:

1. **Compact.** Each partition (month) of a table's committed snapshot that holds two or
   more small data files is rewritten as one file (the same rows, read back from that
   snapshot, a month at a time); `modelops_commits` is rewritten to one file too. The
   rewrite is a commit like any other (sequence + 1, its row says `maintain: compact ...`):
   a writer that read the head before it must redo its file on top, so nothing it loads
   can name the pre-compaction snapshots afterwards. Every rewritten snapshot says which
   snapshot it rewrote (`modelops.rewrite-of`), so a dashboard's next replica copies those
   tables from its previous replica instead of reading the new files: a local copy per
   dashboard, no read of the data files. When only `modelops_commits` needs compacting,
   its rewrite keeps the sequence and the table list, and no reader sees a new commit at
   all. Optimistic, like a writer:
   when an ingest commits first, maintain stops with one line, nothing it wrote is named by
   a commit (the next writer resets such a table), and running it again converges.
2. **Expire snapshots** superseded longer ago than the retention (`--retain`, 1 day), but
   never a table's current snapshot, the snapshot the newest commit names, or anything newer
   than that (a writer in flight): readers resolve every table through the newest commit.
3. **Remove orphans**: files under a table's location that no remaining snapshot, its
   manifests or the current metadata reference, older than `--min-age` (1 hour) by their
   modification time, and old metadata.json files superseded longer ago than that: a commit
   in flight (whose files are not referenced yet) and a reader that has just been told the
   previous metadata file are never harmed.

On one machine a second `modelops maintain` waits for none: it stops (flock on the cache
directory). Across machines run it from one (cron): ingests on any machine are safe, by the
catalog's optimistic commit.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pyarrow as pa

from modelops.backends.iceberg import (
    COMMITS,
    NAMESPACE,
    REWRITE_OF,
    IcebergError,
    IcebergWarehouse,
    _local,
    _reason,
    iso_bound,
    open_warehouse,
    time_columns,
)
from modelops.warehouse.errors import UsageError

RETAIN = timedelta(days=1)  # 288 snapshots at syncs every 5 minutes (README)
MIN_AGE = timedelta(hours=1)
# A data file below this size is "small": two of them in one partition make a rewrite
# worth it (pyiceberg writes one file per partition up to its 512 MB target).
SMALL_FILE_BYTES = 64 * 1024 * 1024


def parse_age(text: str, flag: str) -> timedelta:
    """`7d`, `12h`, `30m`, `90s` or `0` as a timedelta."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dhms]?)\s*", text or "")
    if not match or (not match[2] and float(match[1]) != 0):
        raise UsageError(f"{flag}: expected a number with d, h, m or s (7d, 12h, 0): {text!r}")
    unit = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds", "": "seconds"}[match[2]]
    return timedelta(**{unit: float(match[1])})


@dataclass
class TableResult:
    """What maintain did (or, dry, would do) to one table."""

    table: str
    snapshots_before: int = 0
    snapshots_expired: int = 0
    files_before: int = 0  # data files of the committed snapshot
    files_after: int = 0
    orphans: int = 0
    orphan_bytes: int = 0

    def line(self) -> str:
        files = (f"{self.files_before} -> {self.files_after} data files"
                 if self.files_after != self.files_before else f"{self.files_before} data files")
        return (f"{self.table}: {self.snapshots_expired} of {self.snapshots_before} snapshots "
                f"expired, {files}, {self.orphans} orphan files "
                f"({self.orphan_bytes / 1e6:.1f} MB) removed")


@dataclass
class Report:
    dry_run: bool
    tables: list[TableResult] = field(default_factory=list)
    commit: int | None = None  # the compaction's commit, when it made one

    def lines(self) -> list[str]:
        out = [("dry run, nothing changed: " if self.dry_run else "") + t.line()
               for t in self.tables]
        if self.commit is not None:
            out.append(f"compaction committed as commit {self.commit} (same rows)")
        return out


def maintain(location: str, retain: timedelta = RETAIN, min_age: timedelta = MIN_AGE,
             dry_run: bool = False, now: datetime | None = None) -> Report:
    """Compact, expire and remove orphans in every table of the catalog at `location`."""
    warehouse = open_warehouse(location)

    def moment() -> datetime:  # each step's "now": later steps see what earlier ones did
        return now or datetime.now(UTC)

    report = Report(dry_run=dry_run)
    with _machine_lock(warehouse):
        names = _table_names(warehouse)
        results = {name: TableResult(name) for name in names}
        if COMMITS in names:
            report.commit = _compact(warehouse, results, dry_run)
        head = warehouse.head()
        for name in names:
            table = warehouse._table(name)
            committed = (table.current_snapshot().snapshot_id
                         if name == COMMITS and table.current_snapshot() else
                         head[1].get(name))
            results[name].snapshots_before = len(table.metadata.snapshots)
            expired = _expire(table, committed, moment() - retain, dry_run)
            results[name].snapshots_expired = len(expired)
            if not dry_run and expired:
                table = warehouse._table(name)
            _remove_orphans(table, expired, moment() - min_age, dry_run, results[name])
        report.tables = [results[n] for n in names]
    return report


@contextmanager
def _machine_lock(warehouse: IcebergWarehouse) -> Iterator[None]:
    """One maintain per machine (the kernel drops the flock however the process ends)."""
    path = warehouse.cache_dir / "maintain.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise IcebergError(f"another `modelops maintain` (pid {holder}) is running on "
                               "this catalog") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _table_names(warehouse: IcebergWarehouse) -> list[str]:
    with warehouse._faults("list tables"):
        return sorted(ident[-1] for ident in warehouse.catalog.list_tables(NAMESPACE))


# --- 1. compaction ------------------------------------------------------------------------

def _data_files(table, snapshot_id: int | None) -> list:
    if snapshot_id is None:
        return []
    try:
        return [task.file for task in table.scan(snapshot_id=snapshot_id).plan_files()]
    except (ValueError, OSError) as error:
        raise IcebergError(f"table {table.name()[-1]}: snapshot {snapshot_id} does not read: "
                           f"{_reason(error)}") from None


def _due_partitions(files: list) -> list:
    """The partitions holding two or more small files (a rewrite makes each one file)."""
    small = Counter(_partition(f) for f in files if f.file_size_in_bytes < SMALL_FILE_BYTES)
    return sorted((p for p, count in small.items() if count >= 2), key=str)


def _partition(data_file):
    """A data file's partition value: the month ordinal of a time-placed table (months
    since 1970-01), None for an unpartitioned table or a NULL time."""
    record = data_file.partition
    return record[0] if record is not None and len(record) else None


def _compact(warehouse: IcebergWarehouse, results: dict[str, TableResult],
             dry_run: bool) -> int | None:
    """Rewrite the partitions with many small files of every table's committed snapshot,
    and the commits table, as one commit. Returns the new commit's sequence, or None when
    the data tables needed nothing (the commits table may still have been rewritten in
    place)."""
    from pyiceberg.exceptions import CommitFailedException, ValidationException

    seq, tables = warehouse.head()
    due = {}
    for name, snapshot_id in sorted(tables.items()):
        files = _data_files(warehouse._table(name), snapshot_id)
        results[name].files_before = results[name].files_after = len(files)
        partitions = _due_partitions(files)
        if partitions:
            due[name] = (snapshot_id, partitions)
            rewritten = sum(1 for f in files if _partition(f) in partitions)
            results[name].files_after = len(files) - rewritten + len(partitions)
    commits = warehouse._table(COMMITS)
    commit_files = _data_files(commits, commits.current_snapshot().snapshot_id)
    results[COMMITS].files_before = len(commit_files)
    results[COMMITS].files_after = min(1, len(commit_files)) if (
        due or len(commit_files) > 1) else len(commit_files)
    if dry_run or (not due and len(commit_files) <= 1):
        return None
    new_tables = dict(tables)
    try:
        for name, (snapshot_id, partitions) in due.items():
            new_tables[name] = _rewrite(warehouse, name, snapshot_id, partitions, seq + 1)
        if due:
            what = "maintain: compact " + ", ".join(due)
            _rewrite_commits(warehouse, seq, seq + 1, new_tables, what)
        else:
            _rewrite_commits(warehouse, seq, seq, tables, None)
    except (CommitFailedException, ValidationException):
        raise IcebergError(
            f"another writer committed after commit {seq} while maintain compacted; nothing "
            "was changed: run `modelops maintain` again") from None
    for name in due:
        results[name].files_after = len(_data_files(warehouse._table(name), new_tables[name]))
    results[COMMITS].files_after = len(_data_files(
        warehouse._table(COMMITS), warehouse._table(COMMITS).current_snapshot().snapshot_id))
    return seq + 1 if due else None


def _rewrite(warehouse: IcebergWarehouse, name: str, snapshot_id: int, partitions: list,
             seq: int) -> int:
    """The rows of `snapshot_id` in `partitions` written again, one file per partition,
    as the table's new snapshot (a month at a time: memory and work stay a month's, not the
    table's); fails (CommitFailedException) when another writer wrote the table since."""
    from pyiceberg.expressions import AlwaysTrue, And, GreaterThanOrEqual, LessThan

    table = warehouse._table(name)
    if table.current_snapshot() is None or table.current_snapshot().snapshot_id != snapshot_id:
        # An uncommitted snapshot on top (a writer in flight, or one that lost): a writer
        # resets it the same way before writing.
        table.manage_snapshots().set_current_snapshot(snapshot_id).commit()
        table = warehouse._table(name)
    properties = {"modelops.seq": str(seq), REWRITE_OF: str(snapshot_id)}
    column = time_columns().get(name)
    if column is None or None in partitions or table.spec().is_unpartitioned():
        rows = table.scan(snapshot_id=snapshot_id).to_arrow()
        table.overwrite(rows, overwrite_filter=AlwaysTrue(), snapshot_properties=properties)
        return warehouse._table(name).current_snapshot().snapshot_id
    for month in partitions:
        lo = datetime(1970 + month // 12, month % 12 + 1, 1)
        hi = datetime(lo.year + lo.month // 12, lo.month % 12 + 1, 1)
        kind = table.schema().as_arrow().field(column).type
        bounds = [iso_bound(v, kind) for v in (lo, hi)]
        rows = table.scan(snapshot_id=snapshot_id, row_filter=And(
            GreaterThanOrEqual(column, bounds[0]), LessThan(column, bounds[1]))).to_arrow()
        IcebergWarehouse._overwrite(table, rows, False, (column, lo, hi), properties)
        table = warehouse._table(name)
    return table.current_snapshot().snapshot_id


def _rewrite_commits(warehouse: IcebergWarehouse, seq: int, new_seq: int,
                     tables: dict[str, int], what: str | None) -> None:
    """`modelops_commits` as one data file, its current snapshot naming `new_seq` and
    `tables` (the commit point when `what` adds a row). Fails when a writer committed
    after `seq`."""
    from pyiceberg.exceptions import CommitFailedException
    from pyiceberg.expressions import AlwaysTrue

    table = warehouse._table(COMMITS)
    current = table.current_snapshot()
    summary = current.summary.additional_properties if current and current.summary else {}
    if int(summary.get("modelops.seq", 0)) != seq:
        raise CommitFailedException(f"another writer committed {summary.get('modelops.seq')}")
    rows = table.scan(snapshot_id=current.snapshot_id).to_arrow()
    if what is not None:
        row = pa.table({"seq": [new_seq],
                        "committed_at": [datetime.now(UTC).replace(tzinfo=None)],
                        "what": [what], "tables": [json.dumps(tables)]},
                       schema=table.schema().as_arrow())
        rows = pa.concat_tables([rows.cast(row.schema), row])
    table.overwrite(rows.sort_by("seq"), overwrite_filter=AlwaysTrue(), snapshot_properties={
        "modelops.seq": str(new_seq), "modelops.tables": json.dumps(tables)})


# --- 2. expiry ----------------------------------------------------------------------------

def _expirable(table, committed: int | None, cutoff: datetime) -> list[int]:
    """Snapshots superseded before `cutoff`, older than the committed one, not current."""
    metadata = table.metadata
    keep = {metadata.current_snapshot_id, committed}
    committed_snapshot = metadata.snapshot_by_id(committed) if committed is not None else None
    if committed_snapshot is None:  # a table no commit names yet: left alone
        return []
    ordered = sorted(metadata.snapshots, key=lambda s: (s.sequence_number, s.timestamp_ms))
    limit = cutoff.timestamp() * 1000
    out = []
    for snapshot, successor in pairwise(ordered):
        if (snapshot.snapshot_id not in keep
                and snapshot.sequence_number < committed_snapshot.sequence_number
                and successor.timestamp_ms < limit):
            out.append(snapshot.snapshot_id)
    return out


def _expire(table, committed: int | None, cutoff: datetime, dry_run: bool) -> list[int]:
    from pyiceberg.exceptions import CommitFailedException

    ids = _expirable(table, committed, cutoff)
    if ids and not dry_run:
        try:
            table.maintenance.expire_snapshots().by_ids(ids).commit()
        except (ValueError, CommitFailedException) as error:
            # Another maintain expired one first, or a writer committed to the table in the
            # instant between the catalog's read and its conditional update.
            raise IcebergError(f"table {table.name()[-1]}: expiring snapshots: "
                               f"{_reason(error)}; run `modelops maintain` again") from None
    return ids


# --- 3. orphans ---------------------------------------------------------------------------

def _referenced(table, expired: set[int], superseded_after: datetime) -> set[str]:
    """Every file the table's remaining snapshots and metadata refer to (local paths)."""
    metadata = table.metadata
    io = table.io
    out = {_local(table.metadata_location)}
    # A metadata file stops being current when the next one is written: keep those that did
    # within the safety age (a reader may have just been told its name).
    log = [*metadata.metadata_log]
    limit = superseded_after.timestamp() * 1000
    successors = [entry.timestamp_ms for entry in log[1:]] + [metadata.last_updated_ms]
    for entry, replaced_at in zip(log, successors, strict=True):
        if replaced_at >= limit:
            out.add(_local(entry.metadata_file))
    manifests = {}
    for snapshot in metadata.snapshots:
        if snapshot.snapshot_id in expired:
            continue
        out.add(_local(snapshot.manifest_list))
        for manifest in snapshot.manifests(io):
            manifests[manifest.manifest_path] = manifest
    for path, manifest in manifests.items():
        out.add(_local(path))
        for entry in manifest.fetch_manifest_entry(io, discard_deleted=True):
            out.add(_local(entry.data_file.file_path))
    for statistics in [*metadata.statistics, *metadata.partition_statistics]:
        out.add(_local(statistics.statistics_path))
    return out


def _remove_orphans(table, expired: list[int],
                    older_than: datetime, dry_run: bool, result: TableResult) -> None:
    from pyarrow import fs

    referenced = _referenced(table, set(expired), older_than)
    location = table.metadata.location
    try:
        filesystem, root = fs.FileSystem.from_uri(location)
        listing = filesystem.get_file_info(fs.FileSelector(root, recursive=True,
                                                           allow_not_found=True))
    except (OSError, pa.ArrowException) as error:
        raise IcebergError(f"table {result.table}: cannot list {location}: "
                           f"{_reason(error)}") from None
    limit = older_than.timestamp()
    prefix = location[: len(location) - len(root)] if location.endswith(root) else ""
    for info in listing:
        if info.type != fs.FileType.File or info.mtime is None:
            continue
        if _local(prefix + info.path) in referenced or info.path in referenced:
            continue
        if info.mtime.timestamp() >= limit:
            continue  # young: a commit in flight may be about to reference it
        result.orphans += 1
        result.orphan_bytes += info.size or 0
        if not dry_run:
            try:
                filesystem.delete_file(info.path)
            except FileNotFoundError:  # another maintain took it
                pass
