"""Prometheus range-query answers (`/api/v1/query_range`, resultType `matrix`) -> metrics_hourly.

What the files are (decided from their content, never from their names):

- a series with an `le` label is a latency bucket, from
  `sum by (le, model) (increase(http_request_duration_seconds_bucket[1h]))`;
- a series without `le` is an error count, from
  `sum by (model) (increase(http_requests_total{code=~"5.."}[1h]))`.
  (A total-requests matrix is not read: `requests` is the `+Inf` bucket. Do not pass one,
  it would be taken for errors.)

Both queries with `step=3600` and a `start` on the hour. A file of raw counters (a range
query over `http_request_duration_seconds_bucket` or `http_requests_total` without
`increase()`: cumulative totals, recognised by the `__name__` label Prometheus keeps only
on raw series, or, summed without it, by whole-number values that only grow over 3 points
or more) is refused naming these two queries, never loaded as hourly counts. The model is the `model` label
(`--option label=NAME` for another label); it is the source key resolved by `--map`.

How a row is made, for one model and one evaluation time T:

1. hour = T - 1h: `increase(...[1h])` at T covers (T-1h, T]. A T that is not on the hour
   is refused (align the query's start to the hour).
2. `le` is parsed as a float, so "1" and "1.0" (Prometheus 2.x text vs 3.x/protobuf
   spelling of one bound) are one bucket: their values are added. Bounds are seconds and
   become milliseconds (x 1000, compared after rounding to 6 decimals).
3. Values are strings; "NaN", "+Inf", "-Inf" or a negative value refuse the row (`Bad`).
4. Each bucket is rounded to the nearest integer (half up), because `increase()`
   extrapolates and gives non-integers.
5. Running max over the finite buckets in bound order: bucket(b) = max(bucket(b'), b' <= b).
   That is the repair Prometheus' own `histogram_quantile` applies when buckets computed
   independently come out non-monotonic by a count.
   Unlike `histogram_quantile`, the `+Inf` bucket is not raised: it is `requests`, and
   the largest finite bucket after the repair must be <= it, else the row is refused
   (`Bad`, "le=10 (101) exceeds +Inf (100)").
6. The contract keeps the bounds 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000 and
   10000 ms. Other bounds (the Python client's 75 ms, 750 ms, 7.5 s) are dropped: for
   cumulative buckets that is exact. A missing contract bound, or no `+Inf`, refuses the
   row: a bucket cannot be interpolated.
7. errors = the rounded error value at the same T for the same model; a model with no
   error series at T has errors = 0. An error point with no bucket point is skipped
   (missing timestamps are no data, not zero), as is a bucket-less time for any model.

Origin line = the 1-based number of the series in the file's `result` list (the first
bucket series of the model).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from modelops.importers.base import (
    Bad,
    Options,
    Origin,
    Row,
    Skipped,
    Unreadable,
    from_epoch_seconds,
    read_json,
)
from modelops.warehouse.schema import LATENCY_BOUNDS_MS, LATENCY_BUCKETS

SOURCE = "prometheus"
KEY = "model label"
ENTITIES = ("metrics_hourly",)
AUTH = "Bearer {token}"

ENTITY = "metrics_hourly"
BUCKET_QUERY = "sum by (le, {label}) (increase(http_request_duration_seconds_bucket[1h]))"
ERROR_QUERY = 'sum by ({label}) (increase(http_requests_total{{code=~"5.."}}[1h]))'


def fetch(client, options: Options) -> list[Path]:
    """Both range queries, step 1h, for the whole hours within [--since, --until] (default:
    the last 24 hours): the first point is at the first hour boundary at or after --since,
    plus 1h (it covers the hour before it), the last at the last boundary before --until."""
    label = options.extra.get("label", "model")
    until = options.until or datetime.now(UTC)
    since = options.since or until - timedelta(hours=24)
    floor = since.replace(minute=0, second=0, microsecond=0)
    start = (floor if floor == since else floor + timedelta(hours=1)) + timedelta(hours=1)
    end = until.replace(minute=0, second=0, microsecond=0)
    params = {"start": int(start.timestamp()), "end": int(end.timestamp()), "step": "3600"}
    buckets = client.get_json("/api/v1/query_range",
                              {"query": BUCKET_QUERY.format(label=label), **params})
    errors = client.get_json("/api/v1/query_range",
                             {"query": ERROR_QUERY.format(label=label), **params})
    return [client.save("buckets.json", buckets), client.save("errors.json", errors)]


def _value(text) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def _round(value: float) -> int:
    return math.floor(value + 0.5)


def _matrix(path: Path) -> list:
    doc = read_json(path)
    if not isinstance(doc, dict) or "status" not in doc:
        raise Unreadable(path, "not a Prometheus API answer (no status)")
    if doc["status"] != "success":
        raise Unreadable(path, f"the query failed: {doc.get('errorType')}: {doc.get('error')}")
    if not isinstance(doc.get("data"), dict):
        raise Unreadable(path, "not a Prometheus API answer (no data)")
    data = doc["data"]
    if data.get("resultType") != "matrix":
        raise Unreadable(path, f"resultType {data.get('resultType')!r} is not a matrix "
                               "(use /api/v1/query_range)")
    result = data.get("result")
    if not isinstance(result, list):
        raise Unreadable(path, "data.result is not a list")
    return result


def parse(files: list[Path], options: Options):
    label = options.extra.get("label", "model")
    # (model, T) -> {le: value}; first origin per (model, T); error values per (model, T)
    buckets: dict[tuple[str, float], dict[float, float]] = defaultdict(dict)
    origins: dict[tuple[str, float], Origin] = {}
    raws: dict[tuple[str, float], dict] = defaultdict(dict)
    errors: dict[tuple[str, float], float] = defaultdict(float)
    error_origins: dict[tuple[str, float], Origin] = {}
    for path in files:
        matrix = _matrix(path)
        _refuse_raw_counters(path, matrix, label)
        for number, series in enumerate(matrix, start=1):
            origin = Origin(str(path), number)
            if not isinstance(series, dict):
                series = {}
            labels = series.get("metric") or {}
            values = series.get("values")
            if not isinstance(values, list):
                yield Bad(ENTITY, "series without values (a native histogram or not a "
                                  "matrix series)", origin, raw=series)
                continue
            model = labels.get(label)
            if not model:
                yield Bad(ENTITY, f"series has no {label!r} label", origin, raw=labels)
                continue
            le_text = labels.get("le")
            le = _value(le_text) if le_text is not None else None
            if le_text is not None and (math.isnan(le) or le < 0):
                yield Bad(ENTITY, f"le {le_text!r} is not a bucket bound", origin, raw=labels)
                continue
            for point in values:
                try:
                    moment, text = float(point[0]), point[1]
                except (TypeError, ValueError, IndexError):
                    yield Bad(ENTITY, f"malformed point {str(point)[:80]}", origin,
                              raw=labels)
                    continue
                try:  # Infinity, 1e20, year 114,081,428: this point, not the import
                    from_epoch_seconds(moment, "point time")
                except ValueError as error:
                    yield Bad(ENTITY, str(error), origin, raw={**labels, "point": point})
                    continue
                key = (model, moment)
                if le is None:
                    errors[key] += _value(text)
                    error_origins.setdefault(key, origin)
                else:
                    bucket = buckets[key]
                    bucket[le] = bucket.get(le, 0.0) + _value(text)
                    origins.setdefault(key, origin)
                    raws[key][labels.get("le")] = text
    for key in sorted(set(errors) - set(buckets)):
        yield Skipped(f"errors at a time with no latency buckets for its {label}: no row",
                      error_origins[key])
    for (model, moment) in sorted(buckets, key=lambda k: (origins[k].file, origins[k].line,
                                                          k[1])):
        key = (model, moment)
        raw = {label: model, "time": moment, "buckets": raws[key],
               "errors": errors.get(key)}
        row = _row(model, moment, buckets[key], errors.get(key, 0.0))
        if isinstance(row, str):
            yield Bad(ENTITY, row, origins[key], raw=raw)
        else:
            yield Row(ENTITY, row, origins[key], key=model, raw=raw)


def _refuse_raw_counters(path: Path, matrix: list, label: str) -> None:
    """Refuse a file of raw counter series, naming the queries to run instead.

    A range query over a bare counter (`http_request_duration_seconds_bucket`,
    `http_requests_total`, no `increase()`) returns the running totals since each process
    started: read as hourly counts they inflate every hour by all the hours before it.
    Prometheus keeps the metric name (`__name__`) only on such raw series: any function or
    aggregation drops it. A recording rule's series keep theirs too, but rule names hold a
    colon (`job:http_requests:increase1h`), counters never do."""
    for number, series in enumerate(matrix, start=1):
        labels = (series.get("metric") or {}) if isinstance(series, dict) else {}
        name = labels.get("__name__")
        if isinstance(name, str) and name and ":" not in name:
            what = f"the raw counter {name}"
        elif _only_grows(series.get("values") if isinstance(series, dict) else None):
            what = "whole numbers that only grow, as raw counters do"
        else:
            continue
        raise Unreadable(path, (
            f"series {number} is {what} (totals since the process started, not counts "
            f"per hour): query {BUCKET_QUERY.format(label=label)} and "
            f"{ERROR_QUERY.format(label=label)} with step=3600 instead"))


def _only_grows(values) -> bool:
    """Whether a series looks like a raw counter summed without `increase()` (which drops
    `__name__`): at least 3 points, all whole numbers, never going down, starting above 0
    and ending higher. `increase()` extrapolates to the window's edges, so its values are
    almost never whole numbers; a quiet model's zeros do not start above 0."""
    if not isinstance(values, list) or len(values) < 3:
        return False
    try:
        numbers = [float(point[1]) for point in values]
    except (TypeError, ValueError, IndexError):
        return False
    if not all(math.isfinite(n) and n == int(n) for n in numbers):
        return False
    return numbers[0] > 0 and numbers[-1] > numbers[0] and all(
        b >= a for a, b in pairwise(numbers))


def _row(model: str, moment: float, by_le: dict[float, float], error: float):
    """The contract row's values, or the reason it cannot be made."""
    when = datetime.fromtimestamp(moment, UTC)
    if moment % 3600:
        return f"point at {when.isoformat()} is not on the hour (align the query start)"
    for le, value in by_le.items():
        if not math.isfinite(value) or value < 0:
            return f"bucket le={_bound(le)} is {value} at {when.isoformat()}"
    if not math.isfinite(error) or error < 0:
        return f"errors are {error} at {when.isoformat()}"
    if math.inf not in by_le:
        return "no +Inf bucket: requests unknown"
    requests = _round(by_le[math.inf])
    repaired, top = {}, 0
    for le in sorted(b for b in by_le if b != math.inf):
        top = max(top, _round(by_le[le]))
        repaired[round(le * 1000, 6)] = (le, top)
    if repaired and top > requests:
        le = max(b for b in by_le if b != math.inf)
        return f"bucket le={_bound(le)} ({top}) exceeds +Inf ({requests})"
    missing = [b for b in LATENCY_BOUNDS_MS if b not in repaired]
    if missing:
        return ("no bucket at " + ", ".join(f"{b} ms" for b in missing)
                + " (contract bounds cannot be interpolated)")
    values = {"hour": when - timedelta(hours=1), "requests": requests,
              "errors": _round(error)}
    for bound, column in zip(LATENCY_BOUNDS_MS, LATENCY_BUCKETS, strict=True):
        values[column] = repaired[bound][1]
    return values


def _bound(le: float) -> str:
    return "+Inf" if le == math.inf else f"{le:g}"
