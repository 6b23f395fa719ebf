"""The shared path of `modelops import`: parse a tool's export, resolve models, load like ingest.

    import_files(warehouse, "pagerduty", [Path("incidents.json"), Path("log_entries/")],
                 map_path=Path("map.csv"))  -> list[FileReport]

1. The source module (`modelops.importers.<source>`) turns the files into `Row`, `Skipped`
   and `Bad` items (`parse(files, options)`); directories are expanded to their files.
   Only regular files reach it (a FIFO or a device is refused by name first), and no
   warehouse connection is open while it parses: what it may look up (models, vendors) is
   read before, in one short read-only connection. Skipped items are counted as they come,
   not kept; a source record is kept cut to `base.MAX_RAW_CHARS` (docs/DATA_CONTRACT.md,
   "Bounds of an import").
2. Each `Row.key` is resolved: through the map (CSV `source,key,model_id`; rows of other
   sources are ignored) first, else to itself when it is a model id in the warehouse, else
   the row is quarantined with the reason "<KEY> <key> has no model" (never dropped).
3. Rows become one frame per (file, entity), in load order, and go through
   `modelops.warehouse.ingest.load_frame` — the same validation, quarantine, upsert, load log and one
   transaction per file/entity batch as `modelops ingest`. `Bad` items are quarantined with
   their own reason and line; `Skipped` items are counted in the report and the load log.

A file the module cannot read at all (`base.Unreadable`) is rejected: recorded in the load
log, nothing of it loads, and the other files are parsed again without it.
"""

from __future__ import annotations

import csv
import importlib
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from modelops.importers.base import (
    Bad,
    Count,
    Options,
    Row,
    Skipped,
    Unreadable,
    check_regular,
    raw_text,
    read_document,
    utc,
)
from modelops.warehouse import UsageError, WarehouseError, reading, writing
from modelops.warehouse.ingest import (
    LINE,
    ORIGIN_LINE,
    PARSE_ERROR,
    ROW_AS_READ,
    WRITE_ERRORS,
    LoadResult,
    _reject,
    file_sha256,
    load_frame,
    one_line,
    write_failure,
)
from modelops.warehouse.schema import ENTITIES, LOAD_ORDER

SOURCES = ("pagerduty", "opsgenie", "prometheus", "otlp", "github", "mlflow", "focus",
           "opencost", "evidently", "gx", "openslo", "sloth")
MAX_REASONS = 5


def source_module(name: str) -> ModuleType:
    """The module of SOURCE, or a UsageError naming the known sources."""
    if name not in SOURCES:
        raise UsageError(f"unknown source {name!r}; known sources: {', '.join(SOURCES)}")
    try:
        return importlib.import_module(f"modelops.importers.{name}")
    except ModuleNotFoundError as error:
        if error.name == f"modelops.importers.{name}":
            raise UsageError(f"source {name!r} is not available in this build") from None
        raise


def read_map(path: Path, source: str) -> dict[str, str]:
    """The --map file's rows for `source`: source key -> model_id.

    CSV with the header `source,key,model_id`; rows of other sources are ignored. A missing
    column, an empty cell, a cell past the CSV field limit, or a key mapped twice to
    different models is a UsageError that names the file and line. Only a regular file of
    at most MAX_DOCUMENT_BYTES is read (a FIFO would block for ever)."""
    try:
        text = read_document(path)
    except Unreadable as error:
        raise UsageError(f"--map {path}: {error.reason}") from None
    mapping: dict[str, str] = {}
    where: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as error:
        raise UsageError(f"--map {path}:1: not a readable CSV row ({error})") from None
    if not {"source", "key", "model_id"} <= set(header):
        raise UsageError(f"--map {path}:1: the header must be source,key,model_id "
                         f"(got {one_line(','.join(header), 200) or 'nothing'})")
    at = {name: header.index(name) for name in ("source", "key", "model_id")}
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as error:  # e.g. a 200,000-character key: past the field limit
            raise UsageError(f"--map {path}:{reader.line_num}: not a readable CSV row "
                             f"({error})") from None
        if cells is None:
            break
        number = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            raise UsageError(f"--map {path}:{number}: {len(cells)} cells, "
                             f"expected {len(header)}")
        row = {name: cells[i].strip() for name, i in at.items()}
        if row["source"] != source:
            continue
        if not row["key"] or not row["model_id"]:
            raise UsageError(f"--map {path}:{number}: key and model_id must not be empty")
        known = mapping.get(row["key"])
        if known is not None and known != row["model_id"]:
            raise UsageError(one_line(
                f"--map {path}:{number}: {source} key {row['key']!r} is mapped to "
                f"{known!r} at line {where[row['key']]} and to {row['model_id']!r} here"))
        mapping[row["key"]] = row["model_id"]
        where.setdefault(row["key"], number)
    return mapping


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given, directories as their files (sorted, hidden ones left out). What a
    directory holds besides regular files and directories (a FIFO, a socket, a link to a
    device) is listed too, so that it is refused by name, not skipped in silence."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*")
                            if not p.is_dir() and not any(
                                part.startswith(".") for part in p.relative_to(path).parts))
        elif path.exists() or path.is_symlink():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    return list(dict.fromkeys(files))


@dataclass
class FileReport:
    """What one source file gave: records read, rows loaded per entity, skipped, refused."""

    file: str
    source: str
    records: int = 0
    skipped: int = 0
    skip_reasons: Counter = field(default_factory=Counter)
    loads: list[LoadResult] = field(default_factory=list)
    rejected: str | None = None
    counted: int | None = None  # records the file holds, when the source said (base.Count)
    unread: Counter = field(default_factory=Counter)  # what the skips not by nature saw
    unread_records: int = 0  # how many skips were not by nature
    hint: str | None = None  # what to change when nothing of the kind read was found

    @property
    def loaded(self) -> int:
        return sum(r.inserted + r.updated + r.unchanged for r in self.loads)

    @property
    def quarantined(self) -> int:
        return sum(r.quarantined for r in self.loads)

    def lines(self) -> list[str]:
        """The report printed for this file: a summary line, then the first reasons."""
        if self.rejected:
            return [f"{self.file}: REJECTED, nothing loaded: {self.rejected}"]
        if not self.records and not self.loads:
            return [f"{self.file}: read with the other files (no records of its own)"]
        entities = ", ".join(
            f"{r.entity} {r.inserted} new, {r.updated} updated, {r.unchanged} unchanged"
            for r in self.loads if r.read)
        records = self.records if self.counted is None else self.counted
        derived = "" if self.counted is None else \
            f" ({sum(r.read for r in self.loads)} contract rows made from them)"
        head = (f"{self.file}: read {records} records{derived}, loaded {self.loaded} rows"
                f"{f' ({entities})' if entities else ''}, skipped {self.skipped}, "
                f"quarantined {self.quarantined}")
        out = [head]
        for reason, count in self.skip_reasons.most_common(MAX_REASONS):
            out.append(f"  skipped {count} × {reason}")
        shown = 0
        for load in self.loads:
            for reason in load.reasons:
                if shown < MAX_REASONS:
                    out.append(f"  quarantined {load.entity} {reason}")
                    shown += 1
            out += [f"  warning: {w}" for w in load.warnings]
            if load.status == "rejected":
                out.append(f"  REJECTED {load.entity}: {load.message}")
        if self.quarantined > shown:
            out.append("  ... see `modelops quarantine`")
        return out


@dataclass
class _Pending:
    """Items of one file, waiting to be loaded."""

    report: FileReport
    rows: dict[str, list[tuple[int, dict, str | None, Any]]] = field(default_factory=dict)


def import_files(warehouse: Path, source: str, paths: list[Path], *,
                 map_path: Path | None = None, model: str | None = None,
                 since: datetime | None = None, until: datetime | None = None,
                 extra: dict[str, str] | None = None,
                 names: dict[Path, str] | None = None,
                 stop: Callable[[], bool] | None = None) -> list[FileReport]:
    """Import `paths` (files or directories) exported by `source` into the warehouse.

    `names` renames files in the load log and the report (fetched pages are saved under a
    temporary directory but recorded by URL). `stop` is asked before each file's
    transaction: once it says yes (`modelops sync` got SIGTERM), the files not yet begun
    are left out of the reports and the warehouse. Raises UsageError for a bad source, map
    or path before anything is written."""
    module = source_module(source)
    mapping = read_map(map_path, source) if map_path else {}
    files = expand(paths)
    names = {Path(k): v for k, v in (names or {}).items()}
    display = {str(f): names.get(f, str(f)) for f in files}
    # Refused before anything is opened: a FIFO, a device, a socket (opening them blocks or
    # never ends). Read the tool's files only after this.
    refused = {str(f): why for f in files if (why := check_regular(f)) is not None}

    # The rows the parse may look up (a model's current row, a vendor) are read first, and
    # the connection is closed before the first file is opened: a file that takes minutes
    # to parse never holds the warehouse.
    lookups = _snapshot(warehouse, mapping) if Path(warehouse).exists() else _Lookups()
    options = Options(model=model, current=lookups.current, since=since, until=until,
                      extra=dict(extra or {}))
    pending = _parse_all(module, source, files, refused, options, display, mapping,
                         lookups.models)

    reports, refusals = [], []

    def record_refusals() -> None:
        # consecutive refused files share one connection: a directory of 40 files that are
        # not this tool's export opens the warehouse once for them, not 40 times
        if refusals:
            with writing(warehouse) as con:
                for refused_report in refusals:
                    _reject(con, LoadResult(file=refused_report.file, entity=None,
                                            source=source), refused_report.rejected)
            refusals.clear()

    for file, todo in pending.items():
        if stop is not None and stop():
            break
        report = todo.report
        reports.append(report)
        if report.rejected:
            refusals.append(report)
            continue
        record_refusals()
        sha = file_sha256(Path(file)) if Path(file).is_file() else None
        entities = sorted(todo.rows, key=_order)
        if not entities and report.skipped:
            entities = [module.ENTITIES[0]]  # the load log still records what was skipped
        if not entities:
            continue
        try:
            with writing(warehouse) as con:
                for n, entity in enumerate(entities):
                    frame = _frame(entity, todo.rows.get(entity, []))
                    report.loads.append(load_frame(
                        con, entity, frame, source=report.file, sha256=sha,
                        importer=source, skipped=report.skipped if n == 0 else 0))
        except WarehouseError:
            raise
        except WRITE_ERRORS as error:  # a full disk: one line, as `modelops ingest` says it
            report.rejected = write_failure(error)
    record_refusals()
    return reports


@dataclass
class _Lookups:
    """What the parse may read of the warehouse, read before it starts: the model ids, and
    the rows of models and vendors (the only entities `options.current` serves)."""

    models: set[str] = field(default_factory=set)
    rows: dict[str, dict[str, dict]] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)

    def current(self, entity: str, key: str) -> dict | None:
        if entity not in SNAPSHOT:
            raise ValueError(f"options.current: {entity!r} is not looked up by importers "
                             f"(only {', '.join(SNAPSHOT)})")
        if entity == "models":  # --map first, so an SLO's label finds its model
            key = self.mapping.get(key, key)
        return self.rows.get(entity, {}).get(key)


SNAPSHOT = ("models", "vendors")


def _snapshot(warehouse: Path, mapping: dict[str, str]) -> _Lookups:
    out = _Lookups(mapping=mapping)
    with reading(warehouse) as cur:
        for entity in SNAPSHOT:
            spec = ENTITIES[entity]
            columns = ", ".join(f'"{c}"' for c in spec.column_names)
            out.rows[entity] = {
                row[spec.column_names.index(spec.key[0])]: {
                    c: v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None
                    else v for c, v in zip(spec.column_names, row, strict=True)}
                for row in cur.execute(f"SELECT {columns} FROM {spec.name}").fetchall()}
    out.models = set(out.rows["models"])
    return out


# A source module tripping over input it did not expect: one line, nothing loaded, rather
# than a traceback. (Modules should yield Bad or raise Unreadable; this is the safety net.)
_UNEXPECTED = (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError,
               ArithmeticError)


def _parse_all(module: ModuleType, source: str, files: list[Path], refused: dict[str, str],
               options: Options, display: dict[str, str], mapping: dict[str, str],
               models: set[str]) -> dict[str, _Pending]:
    """Every file parsed, before any warehouse connection: the items of each file, with
    skipped records counted (not kept) and source records cut to MAX_RAW_CHARS. A file the
    module cannot read (`Unreadable`) is refused and the others are parsed again without
    it."""
    remaining = [f for f in files if str(f) not in refused]
    while True:
        hint = getattr(module, "NOTHING_READ", None)
        pending = {str(f): _Pending(FileReport(file=display[str(f)], source=source,
                                               hint=hint))
                   for f in files}
        for file, reason in refused.items():
            pending[file].report.rejected = reason
        try:
            for item in module.parse(list(remaining), options) if remaining else ():
                _take(item, pending, display, module, source, mapping, models)
            return pending
        except UsageError:
            raise
        except Unreadable as error:
            bad = next((f for f in remaining if str(f) == error.file
                        or Path(error.file) == f), None)
            if bad is None:
                raise UsageError(one_line(f"{source}: {error}")) from None
            line = f"line {error.line}: " if error.line else ""
            refused[str(bad)] = one_line(f"{line}{error.reason}")
            remaining.remove(bad)
        except _UNEXPECTED as error:
            raise UsageError(one_line(
                f"{source}: cannot read the files ({type(error).__name__}: "
                f"{str(error)[:200]}); nothing loaded")) from None


def _take(item, pending: dict[str, _Pending], display: dict[str, str], module: ModuleType,
          source: str, mapping: dict[str, str], models: set[str]) -> None:
    file = str(item.file if isinstance(item, Count) else item.origin.file)
    if file not in pending:  # a module naming its origin differently: keep it visible
        pending[file] = _Pending(FileReport(file=display.get(file, file), source=source,
                                            hint=getattr(module, "NOTHING_READ", None)))
    target = pending[file]
    if isinstance(item, Count):
        target.report.counted = (target.report.counted or 0) + item.records
        return
    target.report.records += 1
    if isinstance(item, Skipped):
        target.report.skipped += 1
        target.report.skip_reasons[item.reason] += 1
        if not item.by_nature:
            seen = item.seen if isinstance(item.seen, tuple) else (item.seen or item.reason,)
            target.report.unread.update(seen)
            target.report.unread_records += 1
    elif isinstance(item, Bad):
        target.rows.setdefault(item.entity, []).append(
            (item.origin.line, {}, one_line(item.reason), raw_text(item.raw)))
    elif isinstance(item, Row):
        values, reason = dict(item.values), None
        if item.key is not None:
            resolved = mapping.get(item.key) or (item.key if item.key in models else None)
            if resolved is None:
                reason = one_line(f"{module.KEY} {item.key} has no model")
            values["model_id"] = resolved
        target.rows.setdefault(item.entity, []).append(
            (item.origin.line, values, reason, raw_text(item.raw)))
    else:
        raise TypeError(f"{source}.parse yielded {type(item).__name__}, not an Item")


def _order(entity: str):
    return LOAD_ORDER.index(entity) if entity in LOAD_ORDER else len(LOAD_ORDER)


def _text(value: Any) -> str | None:
    """A contract value as the text ingest parses: aware times as UTC ISO 8601."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _frame(entity: str, rows: list[tuple[int, dict, str | None, Any]]) -> pl.DataFrame:
    """One frame for load_frame: contract columns as text, LINE unique per row, the source
    line in ORIGIN_LINE, a preset reason (unresolved key, Bad item) in PARSE_ERROR and the
    source record in ROW_AS_READ (its JSON text, cut to MAX_RAW_CHARS; text is taken as
    already encoded)."""
    spec = ENTITIES[entity]
    present = {c for _, values, _, _ in rows for c in values}
    columns = [c for c in spec.column_names if c in present or c in spec.required_columns]
    data: dict[str, list] = {c: [] for c in columns}
    lines, reasons, raws = [], [], []
    for line, values, reason, raw in rows:
        texts = {}
        for column in columns:
            try:
                texts[column] = _text(values.get(column))
            except ValueError as error:  # a naive datetime: the importer's mistake, say so
                reason = reason or f"{column}: {error}"
                texts[column] = None
        for column in columns:
            data[column].append(texts[column])
        lines.append(line)
        reasons.append(reason)
        raws.append(raw if raw is None or isinstance(raw, str) else raw_text(raw))
    schema = {c: pl.String for c in columns}
    frame = pl.DataFrame(data, schema=schema)
    # LINE must be unique in a frame: the source line when it is (so ingest's own messages,
    # "key repeated later in the file at line N", name it too), else a row number.
    unique = len(set(lines)) == len(lines)
    return frame.with_columns(
        pl.Series(LINE, lines if unique else range(1, len(rows) + 1), dtype=pl.Int64),
        pl.Series(ORIGIN_LINE, lines, dtype=pl.Int64),
        pl.Series(PARSE_ERROR, reasons, dtype=pl.String),
        pl.Series(ROW_AS_READ, raws, dtype=pl.String),
    )


def nothing_loaded(reports: list[FileReport]) -> str | None:
    """The last line of a run that loaded nothing because no record was of the kind the
    importer reads as configured (every record a `Skipped(by_nature=False)`: an OTLP file
    without the metric asked for), naming what was seen and what to change; else None.

    A run that loads nothing because every record is, by nature, not about a model (infra
    alerts only) or because the files hold no records is a success; this one is not: a
    scheduled job must not report success having read the wrong thing."""
    if not reports or any(r.rejected or r.loaded or r.quarantined for r in reports):
        return None
    unread = Counter()
    for report in reports:
        unread.update(report.unread)
    if not unread or any(r.skipped > r.unread_records for r in reports):
        return None
    shown = 2 * MAX_REASONS
    seen = ", ".join(what for what, _ in unread.most_common(shown))
    more = f" and {len(unread) - shown} more" if len(unread) > shown else ""
    hint = next((r.hint for r in reports if r.hint), None)
    return (f"nothing loaded: no record is of the kind this importer reads (seen: {seen}"
            f"{more})" + (f"; {hint}" if hint else ""))


def exit_status(reports: list[FileReport]) -> int:
    """0 every row loaded; 1 some rows quarantined; 2 a file (or an entity of it) rejected,
    or nothing loaded because no record was of the kind the importer reads
    (`nothing_loaded`)."""
    if any(r.rejected or any(load.status == "rejected" for load in r.loads) for r in reports):
        return 2
    if nothing_loaded(reports):
        return 2
    return 1 if any(r.quarantined for r in reports) else 0
