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

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


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


def read_text(path: Path) -> str:
    """The file as text (UTF-8, a BOM dropped), or `Unreadable` saying why not."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise Unreadable(path, f"cannot read the file: {error}") from None


def read_json(path: Path) -> Any:
    """A JSON document, or `Unreadable` naming the line and column where it breaks."""
    import json

    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise Unreadable(path, f"not valid JSON ({error.msg}, column {error.colno})",
                         line=error.lineno) from None


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


def from_epoch_ms(value: Any) -> datetime:
    """Epoch milliseconds (a JSON number or its text) as an aware datetime in UTC."""
    try:
        if isinstance(value, bool):
            raise TypeError
        millis = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"not epoch milliseconds: {value!r}") from None
    from datetime import timedelta

    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
