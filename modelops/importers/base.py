"""What every importer returns: contract rows, each traced to the source record it came from.

An importer (one module per SOURCE in this package) only turns a tool's own export into
rows of the data contract. Resolving the source key to a model, validation, quarantine,
upsert, the load log and exit codes are the shared path (`modelops.importers.run`, then
`modelops.warehouse.ingest.load_frame`), so every source behaves like `modelops ingest`.

Each source module defines:

    SOURCE = "pagerduty"               # the name on the command line
    KEY = "service"                    # what its source key is, for reasons: "service PX1 has no model"
    ENTITIES = ("incidents",)          # contract entities it can produce
    def parse(files: list[Path], options: Options) -> Iterator[Item]: ...
    # and, for HTTP sources, optionally:
    def fetch(client: "modelops.importers.http.Client", options: Options) -> list[Path] | Iterator[...]

`parse` yields `Row`, `Skipped` or `Bad` items, in source order (and a `Count` per file
when its rows are derived from several records each). It never talks to the
warehouse except through `options.current` (read-only lookups such as the current row of a
model, for partial updates like SLO files).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from modelops.warehouse import ingest
from modelops.warehouse.schema import EARLIEST, END


@dataclass(frozen=True)
class Origin:
    """Where a record stands in the source export: file and line (or record number)."""

    file: str
    line: int  # 1-based line of a text file, or the 1-based record number in a JSON document

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Row:
    """One contract row. `values` uses contract column names; timestamps are aware datetimes
    in UTC (or ISO 8601 text with an offset), dates are `date`, numbers are Python numbers.

    `key` is the source key that names the model (service id, label value, tag...). When it
    is set, the shared path resolves it through --map, else to itself if it is a model id in
    the warehouse, and fills `values["model_id"]`; an unresolved key quarantines the row with
    the reason "<KEY> <key> has no model". Leave it None when `values` already holds a
    model_id (for example `--model` was given) or the entity has no model column."""

    entity: str
    values: dict[str, Any]
    origin: Origin
    key: str | None = None
    raw: Any = None  # the source record as read, kept in the quarantine when the row is refused


@dataclass
class Skipped:
    """A record that is not about a model by its nature (an infra alert with no model tag,
    a preview deployment, OpenCost's __idle__): counted and reported, not quarantined.

    `by_nature=False` marks a record skipped only because it is not what the importer reads
    as configured (an OTLP metric of another name): a run in which every record is such,
    and nothing loads, exits 2 with a line saying what to change (`run.nothing_loaded`),
    instead of succeeding having loaded nothing."""

    reason: str
    origin: Origin
    by_nature: bool = True
    # with by_nature=False: what it was, for that line ("my.counter"; several: a tuple)
    seen: str | tuple[str, ...] | None = None


@dataclass
class Count:
    """How many records `file` holds, from a source whose contract rows are not one per
    record: FOCUS sums its rows per (model, day, category, vendor), OpenCost spreads an
    allocation over days and three categories. The report then says "read N records" with
    N the records the file holds, and the rows derived from them apart. Sources that yield
    one item per record need not yield it."""

    file: str
    records: int


@dataclass
class Bad:
    """A record the importer cannot turn into a row (malformed, a currency that is not USD,
    a bucket set that does not fit the contract): quarantined with this reason."""

    entity: str
    reason: str
    origin: Origin
    raw: Any = None


Item = Row | Skipped | Bad | Count


@dataclass
class Options:
    """What the command line gives every importer."""

    model: str | None = None  # --model: the model every record is about (Evidently, GX)
    # read-only lookups into the warehouse, e.g. current("models", model_id) -> dict | None
    current: Callable[[str, str], dict | None] = lambda entity, key: None
    since: datetime | None = None
    until: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)  # source-specific settings


def utc(moment: datetime) -> datetime:
    """An aware datetime in UTC (naive input is refused: every importer must know the zone)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the importer must apply the source's time zone")
    return moment.astimezone(UTC)


class Unreadable(Exception):
    """Raised by `parse` when a whole file is not this source's export (not JSON, not the
    expected shape): that file is rejected and nothing of it loads; the shared path parses
    the other files again without it. `reason` is one line; `line` where it is known."""

    def __init__(self, file: str | Path, reason: str, line: int | None = None):
        self.file, self.reason, self.line = str(file), reason, line
        where = f"{self.file}:{line}" if line else self.file
        super().__init__(f"{where}: {reason}")


# Bounds on what an import reads (docs/DATA_CONTRACT.md, "Bounds of an import"). Formats
# read as a stream (CSV, gzip, Parquet, OTLP/JSON a resource at a time) have no size
# bound: their memory does not grow with the file. A document that must be read whole (an
# API page in JSON, a YAML spec) is refused past these sizes before it is parsed.
MAX_DOCUMENT_BYTES = 128 * 2**20  # an API page of these tools is a few MB
MAX_YAML_BYTES = 8 * 2**20  # an SLO spec is kilobytes
MAX_JSON_DEPTH = MAX_NESTING = ingest.MAX_JSON_DEPTH  # objects/arrays nested in one record
# What the quarantine keeps of a refused source record (its JSON text): at most this many
# characters, then an ellipsis. A YAML document of aliases or a 100 MB record is cut here,
# never expanded in full.
MAX_RAW_CHARS = 4096


@contextmanager
def open_file(path: str | Path) -> Iterator[BinaryIO]:
    """The file open for reading in binary, once it is known to be a regular file (ingest's
    rule: a FIFO would block for ever, /dev/zero never ends); Unreadable otherwise."""
    try:
        with ingest.regular_file(Path(path)) as (handle, _by_fd):
            yield handle
    except ingest.RejectedFile as error:
        raise Unreadable(path, str(error)) from None


def check_regular(path: str | Path) -> str | None:
    """Why `path` is not a regular file that can be read (without opening it), or None."""
    try:
        ingest.require_regular(os.stat(path))
    except OSError as error:
        return f"cannot read the file: {error.strerror}"
    except ingest.RejectedFile as error:
        return str(error)
    return None


def read_document(path: str | Path, limit: int = MAX_DOCUMENT_BYTES) -> str:
    """A whole text document (UTF-8, a BOM dropped), refused past `limit` bytes."""
    with open_file(path) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise Unreadable(path, f"larger than {limit // 2**20} MB, the most read as one "
                               "document (split the export into pages)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable(path, f"cannot read the file: not UTF-8 ({error.reason} at byte "
                               f"{error.start})") from None


def read_text(path: Path) -> str:
    """The file as text (UTF-8, a BOM dropped), bounded like any document read whole, or
    `Unreadable` saying why not."""
    return read_document(path)


def read_json(path: Path) -> Any:
    """A JSON document, or `Unreadable` naming the line and column where it breaks, or why
    it cannot be used whole: too large, nested past MAX_JSON_DEPTH, an integer of more
    digits than Python converts."""
    return loads_json(read_document(path), path)


def loads_json(text: str, path: str | Path, line: int | None = None) -> Any:
    """`json.loads` with the bounds of an import; errors are Unreadable (at `line`)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise Unreadable(path, f"not valid JSON ({error.msg}, column {error.colno})",
                         line=line or error.lineno) from None
    except RecursionError:
        raise Unreadable(path, f"JSON nested deeper than {MAX_JSON_DEPTH} levels",
                         line=line) from None
    except ValueError as error:  # an integer past Python's 4300 digits
        raise Unreadable(path, f"not readable JSON ({error})", line=line) from None
    check_nesting(value, path, line)
    return value


def check_nesting(value: Any, path: str | Path, line: int | None = None) -> None:
    """Unreadable when objects/arrays nest deeper than MAX_JSON_DEPTH (checked without
    recursion, so code that walks the value later cannot hit Python's recursion limit)."""
    if not isinstance(value, dict | list):
        return
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise Unreadable(path, f"nested deeper than {MAX_JSON_DEPTH} levels", line=line)
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))


def raw_text(raw: Any, limit: int = MAX_RAW_CHARS) -> str | None:
    """A source record as the quarantine keeps it: its JSON text, cut to `limit` characters
    with an ellipsis. Encoded piece by piece and stopped at the limit, so a record that
    would expand to gigabytes (YAML aliases) costs `limit` characters, not its size."""
    if raw is None:
        return None
    if isinstance(raw, str):
        pieces = iter([json.dumps(raw, ensure_ascii=False)])
    else:
        encoder = json.JSONEncoder(default=str, ensure_ascii=False, check_circular=False)
        pieces = encoder.iterencode(raw)
    out, size = [], 0
    try:
        for piece in pieces:
            out.append(piece)
            size += len(piece)
            if size > limit:
                return "".join(out)[:limit - 1] + "\u2026"
    except (TypeError, ValueError, RecursionError):
        # a value json cannot encode even with default=str: say what it was, not a traceback
        return json.dumps(f"({type(raw).__name__} that cannot be shown as JSON)")
    return "".join(out)


def parse_time(value: Any, zone: str | None = None) -> datetime:
    """ISO 8601 / RFC 3339 text as an aware datetime in UTC. Text without an offset is read
    in `zone` (an IANA name such as "Europe/Berlin"); without a zone it is refused, because
    the importer must know which zone the source meant. Raises ValueError with the value."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from None
    if moment.tzinfo is None:
        if not zone:
            raise ValueError(f"timestamp without an offset and no time zone: {value!r}")
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}") from None
    return moment.astimezone(UTC)


FIRST = datetime.fromisoformat(EARLIEST).replace(tzinfo=UTC)
PAST_LAST = datetime.fromisoformat(END).replace(tzinfo=UTC)


def within_contract(moment: datetime, what: str = "time") -> datetime:
    """`moment` when it lies in the contract's range (1970-01-01 .. 2199-12-31), else a
    ValueError naming it: checked before a time is used to spread, expand or index
    anything, so a year-9999 period costs nothing."""
    if not FIRST <= moment < PAST_LAST:
        raise ValueError(f"{what} {moment.isoformat()} is outside "
                         f"{EARLIEST} .. {(PAST_LAST - timedelta(days=1)).date()}")
    return moment


def from_epoch_seconds(value: Any, what: str = "time") -> datetime:
    """Epoch seconds (a number or its text) as an aware UTC datetime within the contract's
    range; ValueError for Infinity, NaN, or a time no calendar date holds (1e20)."""
    try:
        if isinstance(value, bool):
            raise TypeError
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} is not epoch seconds: {value!r}") from None
    if not FIRST.timestamp() <= seconds < PAST_LAST.timestamp():
        raise ValueError(f"{what} {value!r} is outside {EARLIEST} .. "
                         f"{(PAST_LAST - timedelta(days=1)).date()}")
    return datetime.fromtimestamp(seconds, UTC)


def from_epoch_ms(value: Any) -> datetime:
    """Epoch milliseconds (a JSON number or its text) as an aware datetime in UTC;
    ValueError when it is not one or lies outside the contract's range (±10^17 ms)."""
    try:
        if isinstance(value, bool):
            raise TypeError
        millis = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"not epoch milliseconds: {repr(value)[:60]}") from None
    if not FIRST.timestamp() * 1000 <= millis < PAST_LAST.timestamp() * 1000:
        raise ValueError(f"{millis} ms is outside {EARLIEST} .. "
                         f"{(PAST_LAST - timedelta(days=1)).date()}")
    return FIRST + timedelta(milliseconds=millis)
