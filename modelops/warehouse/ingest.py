"""`modelops ingest`: read a file, enforce the data contract, quarantine, upsert.

The whole load of one file happens in one transaction: its good rows, its quarantined rows,
the daily rollup it touches and its load-log entry commit together or not at all, so a
crash or `kill -9` part way leaves the warehouse as it was before that file.

Validation runs as one generated SQL statement over the file (see `_validation_sql`): every
rule of `modelops.warehouse.schema` becomes a CASE that yields a reason, so a million rows are checked
at DuckDB's speed, not Python's.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from modelops.warehouse.errors import UnknownEntity, WarehouseError
from modelops.warehouse.schema import (
    EARLIEST,
    END,
    LATENCY_BUCKETS,
    LATEST_DAY,
    LOAD_ORDER,
    MAX_TEXT,
    SQL_TYPES,
    Column,
    Entity,
)
from modelops.warehouse.schema import entity as get_entity
from modelops.warehouse.writer import writing

LINE = "__line"
PARSE_ERROR = "__parse_error"  # a reason decided before validation (bad JSON, an importer's)
# Importers (modelops.importers.run) may give a frame these: the line of the source file a row
# came from, when several rows share one record (LINE must stay unique within a frame), and
# the source record as read, which the quarantine keeps instead of the contract columns.
ORIGIN_LINE = "__origin_line"
ROW_AS_READ = "__row_as_read"
MAX_REASONS = 5
READABLE = (".csv", ".parquet", ".jsonl", ".ndjson")

# Limits on a file as a whole (DATA_CONTRACT.md, "Bounds"); a file past one is rejected
# before the write lock is taken, so a hostile file cannot hold the warehouse for minutes.
MAX_EXTRA_COLUMNS = 100  # unknown columns accepted beside the entity's own
MAX_HEADER_BYTES = 64 * 1024  # a CSV header line longer than this is not a real export
MAX_JSON_DEPTH = 64  # nesting of one JSON Lines record (objects and arrays)
# Messages stored in the load log and printed (rejections, warnings, reasons) are one line
# of at most this many characters.
MAX_MESSAGE = 500


class RejectedFile(Exception):
    """The whole file is refused (unreadable, unknown entity, missing column); nothing loads."""


class WarehouseWriteError(Exception):
    """Writing a load to the warehouse failed (a full disk, an I/O error); the load's
    transaction was rolled back, so the warehouse holds what it held before the file."""


# What can go wrong while one file is written: ingest_files reports these per file and
# goes on with the next file.
WRITE_ERRORS = (duckdb.Error, OSError, WarehouseWriteError)


@dataclass
class LoadResult:
    file: str
    entity: str | None
    status: str = "loaded"  # loaded | partial | rejected
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    message: str | None = None
    source: str = "ingest"  # what wrote the file: ingest, or an importer's SOURCE
    skipped: int = 0  # records an importer counted and left out (not about a model)

    def summary(self) -> str:
        file = one_line(self.file, limit=None)
        if self.status == "rejected":
            return f"{file}: REJECTED, nothing loaded: {one_line(self.message)}"
        return (
            f"{file} -> {self.entity}: read {self.read}, inserted {self.inserted}, "
            f"updated {self.updated}, unchanged {self.unchanged}, "
            f"quarantined {self.quarantined}"
        )


def entity_from_path(path: str | Path) -> str:
    """`incidents.csv` and `incidents-2026-11-17.parquet` both name `incidents`."""
    return Path(path).name.split(".")[0].split("-")[0]


# --- reading files ----------------------------------------------------------------------

def read_file(path: Path, max_columns: int | None = None) -> pl.DataFrame:
    """The file as read, one column per header plus its line (row) number in `__line`.

    Only a regular file is read (after following links): a FIFO or a device such as
    /dev/zero would block or never end. A JSON Lines file with more than `max_columns`
    distinct keys is rejected as soon as that is seen.
    """
    suffix = _suffix(path)
    with regular_file(path) as (_handle, source):
        return _read(source, suffix, max_columns)


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        raise RejectedFile(f"unsupported file type {suffix!r} (use .csv, .parquet or .jsonl)")
    return suffix


_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


@contextmanager
def regular_file(path: Path) -> Iterator[tuple[io.BufferedReader, str]]:
    """The open file and a path that names exactly that open file, once it is known to be
    a regular file; rejected otherwise.

    The type is read with stat before the file is opened (opening a FIFO would wait for a
    writer), the file is opened non-blocking, and the open descriptor is checked again, so
    a path swapped for a FIFO in between cannot hang the load. Readers get /dev/fd/N (the
    descriptor itself), not the path, so they read the file that was checked.
    """
    try:
        before = os.stat(path)  # follows symbolic links
    except OSError as error:
        raise RejectedFile(f"cannot read the file: {error.strerror}") from error
    require_regular(before)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise RejectedFile(f"cannot read the file: {error.strerror}") from error
    with open(fd, "rb", closefd=True) as handle:
        opened = os.fstat(fd)
        require_regular(opened)
        if (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
            raise RejectedFile("the file was replaced while it was being opened")
        by_fd = f"/dev/fd/{fd}"
        yield handle, by_fd if os.path.exists(by_fd) else str(path)


def require_regular(st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _FILE_KINDS if test(st.st_mode)), "not a file")
        raise RejectedFile(f"not a regular file ({kind}); only regular files are read")


def _read(source: str, suffix: str, max_columns: int | None) -> pl.DataFrame:
    try:
        if suffix == ".csv":
            options = dict(infer_schema=False, encoding="utf8-lossy", raise_if_empty=False,
                           row_index_name=LINE, row_index_offset=2)
            try:
                frame = pl.read_csv(source, **options)
            except pl.exceptions.ComputeError as error:
                if "more fields than" not in str(error):
                    raise
                # Rows with more fields than the header: read them cut to the header, then
                # quarantine each (a cut row would load other values than the file holds).
                frame = _mark_ragged(source, pl.read_csv(
                    source, truncate_ragged_lines=True, **options))
            return frame.rename({c: _header_name(c) for c in frame.columns})
        if suffix == ".parquet":
            return pl.read_parquet(source, row_index_name=LINE, row_index_offset=1)
        return _read_jsonl(source, max_columns)
    except RejectedFile:
        raise
    except (OSError, pl.exceptions.PolarsError, ValueError) as error:
        raise RejectedFile(f"cannot read the file: {_first_line(error)}") from error


def _mark_ragged(source: str, frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` (read with ragged lines cut) with PARSE_ERROR set on each row that had more
    fields than the header. Only for a file that has such rows: it reads the file once more,
    record by record, with the same quoting rules."""
    fields = len(frame.columns) - 1  # less the line number
    reasons: list[str | None] = []
    with open(source, encoding="utf-8", errors="replace", newline="") as handle:
        records = csv.reader(handle)
        next(records, None)  # the header
        for record in records:
            if not record:
                continue  # a blank line is no row for polars either
            reasons.append(f"{len(record)} fields, more than the header's {fields} (the row "
                           "is not loaded cut short)" if len(record) > fields else None)
    if len(reasons) != frame.height:  # the two readers split records differently: refuse
        raise RejectedFile("rows with more fields than the header, which cannot be told "
                           "apart (quoted line breaks?)")
    return frame.with_columns(pl.Series(PARSE_ERROR, reasons, dtype=pl.String))


def _header_name(name: str) -> str:
    return name.strip().lstrip("\ufeff")


def _check_columns(handle: io.BufferedReader, source: str, suffix: str, spec: Entity) -> None:
    """Reject a file whose header repeats a column or has far more columns than the entity,
    from the header alone (the rows are not parsed)."""
    limit = len(spec.columns) + MAX_EXTRA_COLUMNS
    too_many = (f"more than the {limit} accepted for {spec.name} (its {len(spec.columns)}"
                f" columns and at most {MAX_EXTRA_COLUMNS} unknown ones)")
    if suffix == ".parquet":
        try:
            names = list(pl.read_parquet_schema(source))
        except (OSError, pl.exceptions.PolarsError, ValueError) as error:
            raise RejectedFile(f"cannot read the file: {_first_line(error)}") from error
        if len(names) > limit:
            raise RejectedFile(f"{len(names)} columns, {too_many}")
        return
    if suffix != ".csv":
        return  # JSON Lines: keys are counted while reading (_read_jsonl)
    head = handle.read(MAX_HEADER_BYTES + 1)
    handle.seek(0)
    text = head.decode("utf-8", errors="replace")
    end = text.find("\n")
    if end < 0 and len(head) > MAX_HEADER_BYTES:
        at_least = text.count(",") + 1
        if at_least > limit:
            raise RejectedFile(f"at least {at_least} columns, {too_many}")
        raise RejectedFile(f"the header line is longer than {MAX_HEADER_BYTES} bytes")
    line = text if end < 0 else text[:end]
    try:
        fields = next(csv.reader(io.StringIO(line)), [])
    except csv.Error:  # e.g. a bare carriage return inside a name: count what is there
        fields = line.split(",")
    names = [_header_name(n) for n in fields]
    if len(names) > limit:
        raise RejectedFile(f"{len(names)} columns, {too_many}")
    seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if name and name in seen:
            raise RejectedFile(f"column {name!r} appears more than once in the header"
                               f" (columns {seen[name]} and {number})")
        seen[name] = number


def _read_jsonl(source: str, max_columns: int | None = None) -> pl.DataFrame:
    """JSON Lines, each value kept as text; a line that is not a JSON object is quarantined.

    A record nested deeper than MAX_JSON_DEPTH, or more distinct keys than `max_columns`,
    rejects the file.
    """
    records, lines, errors = [], [], []
    seen: dict[str, None] = {}
    with open(source, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            text = raw.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
            if not text:
                continue
            error = None
            try:
                record = json.loads(text)
                if not isinstance(record, dict):
                    error, record = "line is not a JSON object", {}
            except json.JSONDecodeError as exc:
                error, record = f"not valid JSON ({exc.msg})", {}
            except RecursionError:
                raise RejectedFile(
                    f"line {number}: JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
            if _nesting(record) > MAX_JSON_DEPTH:
                raise RejectedFile(
                    f"line {number}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
            row = {str(k): _json_text(v) for k, v in record.items()}
            seen.update(dict.fromkeys(row))
            if max_columns is not None and len(seen) > max_columns:
                raise RejectedFile(
                    f"line {number}: {len(seen)} distinct keys so far, more than the"
                    f" {max_columns} accepted (the entity's columns and at most"
                    f" {MAX_EXTRA_COLUMNS} unknown ones)")
            records.append(row)
            lines.append(number)
            errors.append(error)
    columns = list(seen)
    data = {c: [r.get(c) for r in records] for c in columns}
    data[LINE] = lines
    data[PARSE_ERROR] = errors
    schema = {**{c: pl.String for c in columns}, LINE: pl.Int64, PARSE_ERROR: pl.String}
    return pl.DataFrame(data, schema=schema)


def _nesting(record: dict) -> int:
    """How deep objects and arrays nest in a record (the record itself is 1); iterative,
    and free for a flat record."""
    deepest = 1
    stack = [(v, 2) for v in record.values() if isinstance(v, (dict, list))]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        children = value.values() if isinstance(value, dict) else value
        stack.extend((v, depth + 1) for v in children if isinstance(v, (dict, list)))
    return deepest


def _json_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text: str | None, limit: int | None = MAX_MESSAGE) -> str:
    """A message fit for one line of a terminal and the load log: control characters
    (line breaks, escapes) shown as \\xNN, cut to `limit` characters with an ellipsis."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", str(text or ""))
    if limit is not None and len(text) > limit:
        text = text[:limit - 1] + "\u2026"
    return text


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return _sha256(handle)


def _sha256(handle) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    handle.seek(0)
    return digest.hexdigest()


# --- loading ----------------------------------------------------------------------------

def ingest_file(con, path: str | Path, entity: str | None = None) -> LoadResult:
    """Load one file; a rejected file is recorded in the load log and loads nothing."""
    name, prepared = _prepare(Path(path), entity)
    return _load_prepared(con, Path(path), name, prepared)


def ingest_files(warehouse: Path, paths: list[Path], entity: str | None = None):
    """Load files one by one, in reference order unless `entity` is given; yield results.

    Each file is read and hashed before the write connection opens, and the connection is
    closed after each file, so a dashboard reading the warehouse waits one file at most.
    A file that cannot be written (a full disk, an I/O error, anything unexpected) is
    reported as rejected, with its transaction rolled back, and the next file is tried;
    only a problem with the warehouse as a whole (WarehouseError: locked, too new) stops
    the run.
    """
    if not entity:
        paths = sorted(paths, key=load_order)
    for path in paths:
        name, prepared = _prepare(path, entity)
        result = None
        try:
            with writing(warehouse) as con:
                result = _load_prepared(con, path, name, prepared)
        except WarehouseError:
            raise
        except WRITE_ERRORS as error:  # one line per file, never a traceback (see the CLI)
            if result is not None:
                # The load committed; closing the connection (its checkpoint) failed. The
                # rows are in the write-ahead log, which the next open replays.
                result.warnings.append(one_line(
                    f"the warehouse file was not checkpointed: {write_failure(error)}"))
            else:
                result = _not_written(warehouse, path, name, prepared, error)
        yield result


def _not_written(warehouse: Path, path: Path, name: str, prepared, error: Exception):
    """The result of a file whose load failed while writing; recorded in the load log as
    rejected if the warehouse can still take that one row."""
    result = LoadResult(file=str(path), entity=name)
    reason = prepared if isinstance(prepared, str) else write_failure(error)
    try:
        with writing(warehouse) as con:
            _reject(con, result, reason)
    except WRITE_ERRORS as again:  # the disk is still full: say so, keep going
        result.status, result.message = "rejected", one_line(reason)
        result.warnings.append(one_line(
            f"not recorded in the load log: {write_failure(again)}"))
    return result


def write_failure(error: Exception) -> str:
    """What went wrong while writing, in one line; a full disk in plain words."""
    text = str(error)
    if (isinstance(error, OSError) and error.errno == errno.ENOSPC) or (
            "no space left" in text.lower()):
        return "cannot write to the warehouse: no space left on the device"
    if isinstance(error, WarehouseWriteError):
        return one_line(text)
    what = "cannot write to the warehouse" if _iswrite_failure(error) else "cannot load"
    return one_line(f"{what}: {type(error).__name__}: {_first_line(error)}")


def load_order(path: Path):
    """Reference entities first (LOAD_ORDER), so the rows a file points at are in."""
    name = entity_from_path(path)
    return (LOAD_ORDER.index(name) if name in LOAD_ORDER else len(LOAD_ORDER), str(path))


def _prepare(path: Path, entity: str | None):
    """(entity, (frame, sha256)) or (entity, the rejection message).

    Everything that can reject a file runs here, before the write lock is taken: the file
    type, the header (its width, repeated names), the parse.
    """
    name = entity or entity_from_path(path)
    try:
        spec = get_entity(name)
        suffix = _suffix(path)
        with regular_file(path) as (handle, source):
            _check_columns(handle, source, suffix, spec)
            sha256 = _sha256(handle)
            frame = _read(source, suffix, len(spec.columns) + MAX_EXTRA_COLUMNS)
        return name, (frame, sha256)
    except UnknownEntity as error:
        return name, one_line(error.args[0])
    except (RejectedFile, OSError) as error:
        return name, one_line(str(error))


def _load_prepared(con, path: Path, name: str, prepared) -> LoadResult:
    if isinstance(prepared, str):
        return _reject(con, LoadResult(file=str(path), entity=name), prepared)
    frame, sha256 = prepared
    return load_frame(con, name, frame, source=str(path), sha256=sha256)


def load_frame(con, entity: str, frame: pl.DataFrame, source: str,
               sha256: str | None = None, *, importer: str = "ingest",
               skipped: int = 0) -> LoadResult:
    """Validate and upsert rows already in memory (ingest's files, the demo generator, the
    importers). `importer` and `skipped` are recorded in the load log."""
    result = LoadResult(file=source, entity=entity, source=importer, skipped=skipped)
    spec = get_entity(entity)
    if LINE not in frame.columns:
        frame = frame.with_row_index(LINE, offset=1)
    missing = [c for c in spec.required_columns if c not in frame.columns]
    if missing:
        return _reject(con, result, f"missing required column(s): {', '.join(missing)}")
    unknown = [c for c in frame.columns if c not in spec.column_names and not c.startswith("__")]
    if unknown:
        result.warnings.append(one_line(f"ignored unknown column(s): {', '.join(unknown)}"))
    result.read = frame.height

    con.register("_raw", frame)
    try:
        con.execute(_validation_sql(spec, frame.columns))
        _quarantine_repeated_keys(con, spec)
        con.execute("BEGIN")
        try:
            _apply(con, spec, result, source, sha256, frame.columns)
            con.execute("COMMIT")
        except BaseException:
            # A COMMIT that failed (a full disk) has already ended the transaction, and a
            # fatal error invalidates the connection: ROLLBACK then raises an error of its
            # own, which must not hide the one that explains what happened.
            _quietly(con, "ROLLBACK")
            raise
    except (duckdb.Error, OSError) as error:
        if _iswrite_failure(error):
            raise WarehouseWriteError(write_failure(error)) from error
        raise
    finally:
        # Temporary objects of this connection; after a fatal error they are gone with it.
        _quietly(con, "unregister")
        _quietly(con, "DROP TABLE IF EXISTS _stage")
        _quietly(con, "DROP TABLE IF EXISTS _valid")
    return result


def _quietly(con, statement: str) -> None:
    try:
        if statement == "unregister":
            con.unregister("_raw")
        else:
            con.execute(statement)
    except duckdb.Error:
        pass


def _iswrite_failure(error: Exception) -> bool:
    """An error of the storage, not of the data: I/O, a full disk, an invalidated database."""
    return isinstance(error, (OSError, duckdb.IOException, duckdb.FatalException)) or (
        "no space left" in str(error).lower())


def _reject(con, result: LoadResult, message: str) -> LoadResult:
    result.status, result.message = "rejected", one_line(message)
    con.execute("BEGIN")
    try:
        _log(con, result, sha256=None)
        con.execute("COMMIT")
    except BaseException:
        _quietly(con, "ROLLBACK")
        raise
    return result


def _apply(con, spec: Entity, result: LoadResult, source: str, sha256: str | None,
           file_columns: list[str]) -> None:
    load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM load_log").fetchall()[0][0]
    cols = ", ".join(_q(c) for c in spec.column_names)

    # Quarantine: the file's rows from its previous load are replaced by this load's.
    con.execute("DELETE FROM quarantine WHERE file = ? AND entity = ?", [source, spec.name])
    line = f"r.{ORIGIN_LINE}" if ORIGIN_LINE in file_columns else f"s.{LINE}"
    con.execute(
        f"INSERT INTO quarantine SELECT ?, now()::TIMESTAMP, ?, ?, {line},"
        f" {_row_as_read(file_columns)}, s.__reason"
        f" FROM _stage s JOIN _raw r ON r.{LINE} = s.{LINE}"
        f" WHERE s.__reason <> '' ORDER BY s.__line",
        [load_id, source, spec.name],
    )
    result.quarantined = con.execute(
        "SELECT count(*) FROM _stage WHERE __reason <> ''").fetchall()[0][0]
    result.reasons = [
        one_line(f"line {line}: {reason}") for line, reason in con.execute(
            f"SELECT {line}, s.__reason FROM _stage s JOIN _raw r ON r.{LINE} = s.{LINE}"
            f" WHERE s.__reason <> '' ORDER BY s.__line LIMIT {MAX_REASONS}").fetchall()
    ]

    keys = spec.key
    on = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in keys)
    # A file updates the columns it has: a column it leaves out keeps the stored value of
    # a row it updates (a new row gets NULL or the contract's default), so a reload with
    # fewer columns never erases the others (DATA_CONTRACT.md, "Reloading").
    present = set(file_columns)
    changed = " OR ".join(
        f"s.{_q(c)} IS DISTINCT FROM t.{_q(c)}" for c in spec.column_names
        if c not in keys and c in present
    ) or "false"
    kept = [f"s.{_q(c)}" if c in keys or c in present else
            f"CASE WHEN t.{_q(keys[0])} IS NULL THEN s.{_q(c)} ELSE t.{_q(c)} END AS {_q(c)}"
            for c in spec.column_names]
    con.execute(f"""
        CREATE TEMP TABLE _valid AS
        SELECT {", ".join(kept)},
               CASE WHEN t.{_q(keys[0])} IS NULL THEN 'insert'
                    WHEN {changed} THEN 'update'
                    ELSE 'unchanged' END AS __action
        FROM _stage s
        LEFT JOIN (SELECT t.* FROM {spec.name} t SEMI JOIN _stage s ON {on}) t ON {on}
        WHERE s.__reason = ''
    """)
    counts = dict(con.execute(
        "SELECT __action, count(*) FROM _valid GROUP BY ALL").fetchall())
    result.inserted = counts.get("insert", 0)
    result.updated = counts.get("update", 0)
    result.unchanged = counts.get("unchanged", 0)

    if result.updated:
        match = " AND ".join(f"{spec.name}.{_q(k)} = v.{_q(k)}" for k in keys)
        con.execute(
            f"DELETE FROM {spec.name} USING _valid v WHERE v.__action = 'update' AND {match}")
    if result.inserted or result.updated:
        # Stored in time order, so that a time window reads only the row groups it needs.
        order = f" ORDER BY {_q(spec.time_column)}" if spec.time_column else ""
        con.execute(
            f"INSERT INTO {spec.name} ({cols}) SELECT {cols} FROM _valid"
            f" WHERE __action <> 'unchanged'{order}")
        if spec.name == "metrics_hourly":
            _refresh_metrics_daily(con)

    result.status = "partial" if result.quarantined else "loaded"
    _log(con, result, sha256, load_id)


def _refresh_metrics_daily(con) -> None:
    """Recompute the daily rollup for exactly the model-days this load touched."""
    sums = ", ".join(f"sum({c})" for c in ("requests", "errors", *LATENCY_BUCKETS))
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _touched AS
        SELECT DISTINCT model_id, hour::DATE AS day FROM _valid WHERE __action <> 'unchanged'
    """)
    con.execute("""
        DELETE FROM metrics_daily USING _touched t
        WHERE metrics_daily.model_id = t.model_id AND metrics_daily.day = t.day
    """)
    con.execute(f"""
        INSERT INTO metrics_daily
        SELECT m.model_id, m.hour::DATE AS day, {sums}
        FROM metrics_hourly m
        SEMI JOIN _touched t ON m.model_id = t.model_id AND m.hour::DATE = t.day
        GROUP BY ALL
        ORDER BY day, model_id
    """)
    con.execute("DROP TABLE _touched")


def _log(con, result: LoadResult, sha256: str | None, load_id: int | None = None) -> None:
    if load_id is None:
        load_id = con.execute(
            "SELECT coalesce(max(load_id), 0) + 1 FROM load_log").fetchall()[0][0]
    con.execute(
        "INSERT INTO load_log (load_id, loaded_at, file, sha256, entity, status, rows_read,"
        " inserted, updated, unchanged, quarantined, message, source, skipped)"
        " VALUES (?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, result.file, sha256, result.entity, result.status, result.read,
         result.inserted, result.updated, result.unchanged, result.quarantined,
         one_line(result.message or "; ".join(result.warnings)) or None, result.source,
         result.skipped],
    )


# --- the validation statement -----------------------------------------------------------

def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _typed(c: Column, present: bool) -> str:
    """The typed value of a column as read (NULL or the default when absent)."""
    if not present:
        return f"{c.default or 'NULL'}::{_sql_type(c)}"
    raw = _q(c.name)
    if c.type == "text":
        value = f"NULLIF(trim(CAST({raw} AS VARCHAR)), '')"
    elif c.type == "timestamp":
        value = f"timezone('UTC', TRY_CAST({raw} AS TIMESTAMPTZ))"
    else:
        value = f"TRY_CAST({raw} AS {_sql_type(c)})"
    return f"coalesce({value}, {c.default})" if c.default else value


def _sql_type(c: Column) -> str:
    return SQL_TYPES[c.type]


def _reasons(spec: Entity, c: Column, present: bool) -> list[str]:
    name, v = c.name, _q(c.name)
    raw = f"__raw_{c.name}"
    out = []
    if (c.key or c.required) and c.default is None:
        # Text is missing when blank; another type with a value that does not parse gets
        # the "not a valid" reason below instead.
        missing = f"{v} IS NULL" if c.type == "text" else f"{v} IS NULL AND {_q(raw)} IS NULL"
        out.append(f"CASE WHEN {missing} THEN '{name}: required' END")
    if present and c.type != "text":
        out.append(
            f"CASE WHEN {v} IS NULL AND {_q(raw)} IS NOT NULL THEN "
            f"'{name}: not a valid {c.type}: ' || left({_q(raw)}, 60) END")
    if c.type == "float":
        out.append(f"CASE WHEN NOT isfinite({v}) THEN '{name}: must be a finite number' END")
    if c.type in ("timestamp", "date"):
        # NOT (in range) is also true for infinity and -infinity.
        low, high = f"{c.type.upper()} '{EARLIEST}'", f"{c.type.upper()} '{END}'"
        out.append(
            f"CASE WHEN NOT ({v} >= {low} AND {v} < {high}) THEN "
            f"'{name}: outside {EARLIEST} .. {LATEST_DAY} (got ' || left({_q(raw)}, 60)"
            f" || ')' END")
    if c.type == "text" and present:
        # strlen (bytes, free) first: length (characters) only runs for long values.
        out.append(
            f"CASE WHEN strlen({v}) > {MAX_TEXT} AND length({v}) > {MAX_TEXT} THEN "
            f"'{name}: longer than {MAX_TEXT} characters (' || length({v}) || ')' END")
    if c.allowed:
        values = ", ".join(f"'{a}'" for a in c.allowed)
        out.append(
            f"CASE WHEN {v} NOT IN ({values}) THEN "
            f"'{name}: ' || left({v}, 60) || ' is not one of {', '.join(c.allowed)}' END")
    if c.check:
        predicate = re.sub(r"\bv\b", v, c.check)
        out.append(
            f"CASE WHEN NOT ({predicate}) THEN "
            f"'{name}: {c.check_reason} (got ' || left({v}::VARCHAR, 60) || ')' END")
    if c.references:
        table, key = c.references
        out.append(
            f"CASE WHEN {v} IS NOT NULL AND {v} <> '' AND NOT EXISTS "
            f"(SELECT 1 FROM {table} r WHERE r.{_q(key)} = src.{v}) THEN "
            f"'{name}: unknown {key} ' || left({v}, 60) END")
    return out


def _row_as_read(file_columns: list[str]) -> str:
    """The quarantined row as the file had it, every column as text, as JSON (or the
    source record an importer kept in ROW_AS_READ); a value longer than MAX_TEXT is cut
    there and ends in an ellipsis (a 50 MB field would otherwise be shown by the Data page
    and `modelops quarantine`)."""
    def cell(c: str) -> str:
        text = f"CAST(r.{_q(c)} AS VARCHAR)"
        return (f"CASE WHEN strlen({text}) > {MAX_TEXT} AND length({text}) > {MAX_TEXT}"
                f" THEN left({text}, {MAX_TEXT}) || '\u2026' ELSE {text} END")

    fields = ", ".join(
        f"{_q(c)} := {cell(c)}" for c in file_columns
        if c not in (LINE, PARSE_ERROR, ORIGIN_LINE, ROW_AS_READ)
    ) or "empty := NULL"
    row = f"to_json(struct_pack({fields}))::VARCHAR"
    return f"coalesce(r.{ROW_AS_READ}, {row})" if ROW_AS_READ in file_columns else row


def _validation_sql(spec: Entity, file_columns: list[str]) -> str:
    present = set(file_columns)
    casts = [f"{LINE}"]
    for c in spec.columns:
        has = c.name in present
        casts.append(f"{_typed(c, has)} AS {_q(c.name)}")
        raw = f"CAST({_q(c.name)} AS VARCHAR)" if has else "NULL::VARCHAR"
        casts.append(f"{raw} AS {_q('__raw_' + c.name)}")
    casts.append(f"{PARSE_ERROR if PARSE_ERROR in present else 'NULL::VARCHAR'} AS {PARSE_ERROR}")

    reasons = []
    for c in spec.columns:
        reasons += _reasons(spec, c, c.name in present)
    reasons += [f"CASE WHEN {r.violated} THEN '{r.reason}' END" for r in spec.rules]

    typed_cols = ", ".join(_q(c.name) for c in spec.columns)
    return f"""
        CREATE OR REPLACE TEMP TABLE _stage AS
        WITH cast_rows AS (SELECT {", ".join(casts)} FROM _raw)
        SELECT {LINE}, {typed_cols},
               coalesce({PARSE_ERROR}, concat_ws('; ', {", ".join(reasons)})) AS __reason
        FROM cast_rows AS src
    """


def _quarantine_repeated_keys(con, spec: Entity) -> None:
    """Of valid rows sharing a key, the last in the file wins; earlier ones are quarantined.

    Checked with a cheap aggregate first: the window that names the winning line only runs
    for files that do repeat a key.
    """
    keys = ", ".join(_q(k) for k in spec.key)
    repeated = con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM _stage WHERE __reason = ''"
        f" GROUP BY {keys} HAVING count(*) > 1)").fetchall()[0][0]
    if not repeated:
        return
    match = " AND ".join(f"_stage.{_q(k)} = last.{_q(k)}" for k in spec.key)
    con.execute(f"""
        UPDATE _stage SET __reason = 'key repeated later in the file at line ' || last.line
                                     || ' (the later row is kept)'
        FROM (SELECT {keys}, max({LINE}) AS line FROM _stage WHERE __reason = ''
              GROUP BY {keys} HAVING count(*) > 1) AS last
        WHERE {match} AND _stage.__reason = '' AND _stage.{LINE} < last.line
    """)
