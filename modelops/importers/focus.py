"""FinOps FOCUS cost and usage exports (CSV, gzipped CSV `.csv.gz`, or Parquet) -> costs_daily.

Per FOCUS row (the spec's columns; `x_*` custom columns are ignored):
- amount = `EffectiveCost` (amortised, after discounts), never `BilledCost`. Credits are
  negative and are kept: they net with the charges of the same contract key. A key whose
  net is negative is then quarantined by the contract (amount_usd >= 0).
- `BillingCurrency` other than USD refuses the row ("currency EUR is not USD"): FOCUS has
  no exchange-rate column and nothing is converted.
- the model is the `model` key of `Tags` (a JSON object serialised as text; case-sensitive
  keys; `--option tag=NAME` for another key). It is the source key resolved by `--map`.
  A row without that tag is untagged shared cost: skipped and counted in the report
  (reported after the rows). When no row of the import has the tag, the key is wrong
  rather than the costs shared: nothing loads and the run exits 2 naming the Tags keys seen.
- category from `ServiceCategory`: Compute -> compute, Storage -> storage,
  AI and Machine Learning -> inference_api, anything else -> other.
- vendor: `ServiceProviderName` (FOCUS 1.3), else `ProviderName` (1.0-1.2), lower-cased
  and slugged ("Amazon Web Services" -> "amazon-web-services"). vendor_id must be a vendor
  of the warehouse or empty, so: `--option vendor.<slug>=<vendor_id>` names the vendor id
  for a provider; else the slug itself when it is a vendor id in the warehouse; else the
  vendor is left empty (the cost still loads, under vendor_id "").
- `NULL` (unquoted or quoted, as SQL dumps and the FOCUS project's own sample data write
  it) is an empty value: a `Tags` of NULL is an untagged row, skipped, not malformed JSON.
- day: `ChargePeriodStart`/`ChargePeriodEnd` ([start, end), UTC). FOCUS defines them as
  UTC, so a time without an offset (`2024-09-18 22:00:00`, as the FOCUS sample data writes
  them) is UTC, and BigQuery's CSV export's `2024-09-18 22:00:00 UTC` is read too. A period is spread over
  the UTC days it covers in proportion to its time in each (a month-long row -> an equal
  share per day; an hourly row -> its day). Amounts are summed per contract key
  (model, day, category, vendor_id) over all the files of one import, in decimal.
Origin line = the CSV line (header = line 1) or the Parquet row number, of the first row
that contributed to the contract row. The report counts the FOCUS rows each file holds
(`base.Count`), and the contract rows summed from them apart.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from modelops.importers.base import (
    PAST_LAST,
    Bad,
    Count,
    Options,
    Origin,
    Row,
    Skipped,
    Unreadable,
    open_file,
    parse_time,
    within_contract,
)

SOURCE = "focus"
KEY = "model tag"
ENTITIES = ("costs_daily",)

ENTITY = "costs_daily"
REQUIRED = ("BillingCurrency", "EffectiveCost", "ChargePeriodStart", "ChargePeriodEnd",
            "ServiceCategory", "Tags")
CATEGORIES = {"Compute": "compute", "Storage": "storage",
              "AI and Machine Learning": "inference_api"}
UNTAGGED = "no model tag (untagged shared cost)"
NOTHING_READ = ("those are the keys of Tags, most frequent first: give --option tag=KEY "
                "naming the one that holds your model ids (the default is model)")
# Bounds (docs/DATA_CONTRACT.md, "Bounds of an import"): a charge period is spread over at
# most this many days; an amount is at most this many USD either way; a CSV line is at
# most this many characters.
MAX_PERIOD_DAYS = 366
MAX_AMOUNT = Decimal(10**15)
MAX_LINE_CHARS = 2**20
MAX_KEY_SETS = 1000  # distinct Tags key sets of untagged rows told apart in the report


def period_problem(start: datetime, end: datetime) -> str | None:
    """Why [start, end) cannot be spread over days, checked before anything is expanded:
    outside the contract's days, or longer than MAX_PERIOD_DAYS (a 1970 -> 9999 period is
    2.9 million days)."""
    try:
        within_contract(start, "the period's start")
        if end > PAST_LAST:
            within_contract(end, "the period's end")
    except ValueError as error:
        return str(error)
    if end - start > timedelta(days=MAX_PERIOD_DAYS):
        return f"the period is {(end - start).days:,} days long, more than {MAX_PERIOD_DAYS}"
    return None


def spread_over_days(start: datetime, end: datetime, amount: Decimal) -> list[tuple[date,
                                                                                     Decimal]]:
    """`amount` over the UTC days of [start, end), in proportion to the time in each."""
    total = Decimal((end - start) // timedelta(microseconds=1))
    out, day = [], start.date()
    while True:
        midnight = datetime.combine(day, datetime.min.time(), start.tzinfo)
        begin, finish = max(start, midnight), min(end, midnight + timedelta(days=1))
        if finish <= begin:
            break
        part = Decimal((finish - begin) // timedelta(microseconds=1))
        out.append((day, amount if part == total else amount * part / total))
        day += timedelta(days=1)
    return out


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _records(path: Path):
    """(line, record as {column: text or None}) of a CSV or Parquet file, read as a stream:
    a `.csv.gz` is decompressed as it is read and Parquet a batch at a time, so memory does
    not grow with the file (a 3.6 MB file of 1 GB of rows is read in constant memory)."""
    if path.suffix.lower() == ".parquet":
        yield from _parquet_records(path)
        return
    with open_file(path) as handle:
        stream = gzip.GzipFile(fileobj=handle, mode="rb") \
            if path.suffix.lower() == ".gz" else handle  # AWS Data Exports write .csv.gz
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(_bounded_lines(text, path))
        try:
            _check_columns(path, reader.fieldnames or [])
            for record in reader:
                yield reader.line_num, {k: (v if v not in ("", None) else None)
                                        for k, v in record.items() if k is not None}
        except csv.Error as error:
            raise Unreadable(path, f"not a readable CSV file: {error}",
                             line=reader.line_num) from None
        except (OSError, EOFError, UnicodeDecodeError, zlib.error) as error:
            raise Unreadable(path, f"cannot read the file: {error}",
                             line=reader.line_num or None) from None


def _bounded_lines(text: io.TextIOBase, path: Path):
    """The lines of `text`, each read with a bound: a file of one endless line (no line
    breaks) is refused at MAX_LINE_CHARS instead of being read whole."""
    number = 0
    while True:
        line = text.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise Unreadable(path, f"a line longer than {MAX_LINE_CHARS:,} characters: "
                                   "not a FOCUS export", line=number)
        yield line


def _parquet_records(path: Path):
    import pyarrow.parquet as pq

    with open_file(path) as handle:
        try:
            parquet = pq.ParquetFile(handle)
            _check_columns(path, parquet.schema_arrow.names)
            number = 0
            for batch in parquet.iter_batches(batch_size=8192):
                for record in batch.to_pylist():
                    number += 1
                    yield number, {k: (None if v is None else v if isinstance(v, dict)
                                       else str(v)) for k, v in record.items()}
        except (OSError, ValueError) as error:  # pyarrow's errors are both
            raise Unreadable(path, f"cannot read the Parquet file: "
                                   f"{str(error).splitlines()[0][:200]}") from None


def _check_columns(path: Path, columns) -> None:
    missing = [c for c in REQUIRED if c not in columns]
    if "ServiceProviderName" not in columns and "ProviderName" not in columns:
        missing.append("ServiceProviderName or ProviderName")
    if missing:
        raise Unreadable(path, f"not a FOCUS export: missing column(s) {', '.join(missing)}")


def _model(tags, tag: str):
    """The model tag's value, None when untagged, or raises ValueError."""
    if tags is None:
        return None
    if isinstance(tags, str):
        try:
            tags = json.loads(tags)
        except json.JSONDecodeError:
            raise ValueError(f"Tags is not a JSON object: {tags[:60]!r}") from None
    if not isinstance(tags, dict):
        raise TypeError("Tags is not a JSON object")
    value = tags.get(tag)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"tag {tag} is not text: {value!r}")
    return value


def focus_time(value) -> datetime:
    """A FOCUS date-time: UTC by the spec, so no offset means UTC; BigQuery's CSV export
    appends " UTC" (`2024-09-18 22:00:00 UTC`)."""
    if isinstance(value, str) and value.strip().upper().endswith(" UTC"):
        value = value.strip()[:-4]
    return parse_time(value, zone="UTC")


def parse(files: list[Path], options: Options):
    tag = options.extra.get("tag", "model")
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    first: dict[tuple, tuple[Origin, dict]] = {}
    vendors: dict[str, str] = {}
    held_by_file: dict[str, int] = {}
    # untagged rows, counted per (file, the Tags keys they have): a count, not a row each,
    # so 16 million untagged rows of a gzip bomb cost one entry (at most MAX_KEY_SETS)
    untagged: dict[tuple[str, tuple], list] = {}
    for path in files:
        held = 0
        for line, record in _records(Path(path)):
            held += 1
            origin = Origin(str(path), line)
            record = {k: None if isinstance(v, str) and v.strip().upper() == "NULL" else v
                      for k, v in record.items()}
            currency = (record.get("BillingCurrency") or "").strip()
            if currency != "USD":
                yield Bad(ENTITY, f"currency {currency or '(none)'} is not USD", origin,
                          raw=record)
                continue
            try:
                model = _model(record.get("Tags"), tag)
            except (ValueError, TypeError) as error:
                yield Bad(ENTITY, str(error), origin, raw=record)
                continue
            if model is None:
                keys = _keys(record.get("Tags"))
                if (str(path), keys) not in untagged and len(untagged) >= MAX_KEY_SETS:
                    keys = ("(other keys)",)
                untagged.setdefault((str(path), keys), [origin, 0])[1] += 1
                continue
            try:
                amount = Decimal(str(record.get("EffectiveCost")).strip())
                if not amount.is_finite():
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                yield Bad(ENTITY, f"EffectiveCost is not a number: "
                                  f"{str(record.get('EffectiveCost'))[:60]!r}", origin,
                          raw=record)
                continue
            if amount.copy_abs() > MAX_AMOUNT:  # abs() would round, and overflow
                yield Bad(ENTITY, f"EffectiveCost {str(record.get('EffectiveCost'))[:60]} is "
                                  f"past ±{MAX_AMOUNT:.0e} USD", origin, raw=record)
                continue
            try:
                start = focus_time(record.get("ChargePeriodStart"))
                end = focus_time(record.get("ChargePeriodEnd"))
            except ValueError as error:
                yield Bad(ENTITY, f"charge period: {error}", origin, raw=record)
                continue
            if end <= start:
                yield Bad(ENTITY, "ChargePeriodEnd is not after ChargePeriodStart", origin,
                          raw=record)
                continue
            problem = period_problem(start, end)
            if problem:
                yield Bad(ENTITY, f"charge period: {problem}", origin, raw=record)
                continue
            provider = (record.get("ServiceProviderName") or record.get("ProviderName")
                        or "").strip()
            if provider not in vendors:
                vendors[provider] = _vendor(provider, options)
            category = CATEGORIES.get((record.get("ServiceCategory") or "").strip(), "other")
            for day, part in spread_over_days(start, end, amount):
                key = (model, day, category, vendors[provider])
                totals[key] += part
                first.setdefault(key, (origin, record))
        held_by_file[str(path)] = held
    for key in sorted(totals, key=lambda k: (first[k][0].file, first[k][0].line, k[1:])):
        model, day, category, vendor = key
        origin, record = first[key]
        yield Row(ENTITY, {"day": day, "category": category, "vendor_id": vendor,
                           "amount_usd": float(totals[key])}, origin, key=model, raw=record)
    # untagged rows are shared cost by nature, unless no row had the tag at all
    for (_, keys), (origin, count) in untagged.items():
        skipped = Skipped(UNTAGGED, origin, by_nature=bool(totals), seen=keys)
        for _ in range(count):  # one item per row, none kept
            yield skipped
    for file, held in held_by_file.items():
        yield Count(file, held)


def _keys(tags) -> tuple[str, ...]:
    """The keys of a Tags value, for the line of a run in which no row had the tag."""
    try:
        value = json.loads(tags) if isinstance(tags, str) else tags
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not value:
        return ("(no Tags)",)
    return tuple(repr(k) if k != k.strip() else k for k in map(str, value))


def _vendor(provider: str, options: Options) -> str:
    if not provider:
        return ""
    name = slug(provider)
    if f"vendor.{name}" in options.extra:
        return options.extra[f"vendor.{name}"]
    return name if options.current("vendors", name) is not None else ""
