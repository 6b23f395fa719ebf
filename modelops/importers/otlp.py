"""OpenTelemetry OTLP/JSON metrics (an `ExportMetricsServiceRequest`, or the collector's file
exporter: one per line) -> metrics_hourly.

Read: `resourceMetrics[].scopeMetrics[].metrics[]` named `http.server.request.duration`
(semconv, seconds) or, where a service has none, the older `http.server.duration` (semconv
before 1.21, milliseconds) — `--option metric=NAME` for another — with an explicit-bucket
`histogram`. The model is the resource attribute `service.name` (the source key resolved
by `--map`). Other metrics are skipped, one report line per metric; a run in which no
metric was one of these loads nothing and exits 2 naming the metrics it saw.

How a data point becomes counts:
- int64 fields (`count`, `bucketCounts`, `*TimeUnixNano`) are JSON strings (numbers are
  accepted too); `bucketCounts` are per bucket, not cumulative, with `explicitBounds` plus
  an implicit +Inf: bucket i counts values in (bound[i-1], bound[i]]. A running sum gives
  the cumulative count at each bound; `count` must equal the sum of the buckets.
- unit "s" -> bounds x 1000, "ms" as is (any other unit refuses the metric). The contract
  keeps 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000 ms: other bounds are dropped
  (exact for cumulative counts); a missing one refuses the point (no interpolation). The
  SDK's default bounds in ms and the semconv advice bounds in s both contain all eleven.
- errors: points whose attributes have `http.response.status_code` (or, before semconv
  1.21, `http.status_code`) >= 500, or an `error.type`; requests: all points.
- errors counted apart, as their own monotonic Sum (`model.inference.errors` beside the
  duration histogram): `--option errors=NAME` names it; without the option, a monotonic
  Sum whose name says "error" is read as such (`--option errors=` reads none). Its points
  are differenced per series with the same rules as the histogram's (below); for a service
  with such a counter, errors are the counter's increments, not the status attributes.
- a point flagged "no recorded value" (flags bit 1) is skipped.

Time (per series = resource attributes (so each replica's `service.instance.id` apart),
scope, metric and point attributes; in time order):
- DELTA (aggregationTemporality 1): the point's counts cover (start, time].
- CUMULATIVE (2): consecutive points with the same `startTimeUnixNano` are differenced:
  the increment covers (previous time, time]. A point whose start differs from the
  previous point's (a restart) counts in full over (start, time]. Counts that go down
  with the same start refuse the point.
- the increment is put in the contract hour that holds the start of what it covers
  (the point's start for DELTA, the previous point's time for CUMULATIVE), then summed
  with every other series of the service in that hour.
- an increment covering more than an hour cannot be placed in one hour: for the first
  point of a cumulative series that is the normal case (its start is the process start):
  it is skipped as the baseline for the next point; otherwise it is refused.
A refused point also refuses the service-hour it belongs to (a partial hour would load as
if complete).

Origin line = the 1-based number of the data point in the file, counting every data point
of every metric in document order.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import ijson

from modelops.importers.base import (
    FIRST,
    MAX_NESTING,
    PAST_LAST,
    Bad,
    Options,
    Origin,
    Row,
    Skipped,
    Unreadable,
    open_file,
)
from modelops.warehouse.schema import EARLIEST, LATENCY_BOUNDS_MS, LATENCY_BUCKETS, LATEST_DAY

SOURCE = "otlp"
KEY = "service"
ENTITIES = ("metrics_hourly",)

ENTITY = "metrics_hourly"
# the semconv histogram (seconds), then its name before semconv 1.21 (milliseconds)
METRICS = ("http.server.request.duration", "http.server.duration")
NOTHING_READ = (f"it reads the histogram {' or '.join(METRICS)}: give --option metric=NAME "
                "for the request-duration histogram your services export")
HOUR_NS = 3600 * 10**9
FIRST_NS, PAST_NS = (int(t.timestamp()) * 10**9 for t in (FIRST, PAST_LAST))
SCALE = {"s": 1000.0, "ms": 1.0}
TEMPORALITY = {1: "delta", 2: "cumulative", "AGGREGATION_TEMPORALITY_DELTA": "delta",
               "AGGREGATION_TEMPORALITY_CUMULATIVE": "cumulative"}


def _resources(path: Path):
    """Each `resourceMetrics` entry of the file, as a stream: one JSON document or JSON
    Lines (the collector's file exporter: one request per line). Parsed with ijson, so
    memory holds one resource at a time, not the file (a 256 MB file is not 2 GB of
    objects); each entry is checked for nesting past MAX_NESTING."""
    found = 0
    with open_file(path) as handle:
        try:
            _check_depth(handle, path)
            for resource in ijson.items(handle, "resourceMetrics.item", use_float=True,
                                        multiple_values=True):
                found += 1
                yield resource if isinstance(resource, dict) else {}
            if not found and not _has_resource_metrics(handle):
                raise Unreadable(path, "not OTLP/JSON metrics (no resourceMetrics)")
        except ijson.JSONError as error:
            raise Unreadable(path, f"not valid JSON ({_first_line(error)})") from None
        except (ValueError, RecursionError) as error:  # e.g. an integer of 5,000 digits
            raise Unreadable(path, f"not readable JSON ({_first_line(error)})") from None


def _check_depth(handle, path: Path) -> None:
    """Unreadable when objects/arrays nest deeper than MAX_NESTING anywhere in the file.
    A first pass of ijson's events (linear, and fast: about 3 s for 256 MB), because
    building a value 100,000 levels deep costs ijson time quadratic in the depth.
    `use_float` everywhere: an integer past 64 bits is then a parse error ("integer
    overflow"; OTLP writes 64-bit integers as strings), where ijson's C backend converting
    it to a Python int fails with a SystemError (and crashed the process next)."""
    depth = 0
    for event, _ in ijson.basic_parse(handle, multiple_values=True, use_float=True):
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > MAX_NESTING:
                raise Unreadable(path, f"JSON nested deeper than {MAX_NESTING} levels")
        elif event in ("end_map", "end_array"):
            depth -= 1
    handle.seek(0)


def _has_resource_metrics(handle) -> bool:
    """Whether some document of the file has a top-level `resourceMetrics` key (an export
    with no resources is an empty export, not another kind of file)."""
    handle.seek(0)
    return any(prefix == "" and event == "map_key" and value == "resourceMetrics"
               for prefix, event, value in ijson.parse(handle, multiple_values=True,
                                                            use_float=True))


def _first_line(error: Exception) -> str:
    arg = error.args[0] if error.args else None  # ijson's C backend gives bytes
    text = (arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(error)).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:200]


def _attrs(items) -> dict:
    out = {}
    for item in items or []:
        value = item.get("value") or {}
        out[item.get("key")] = next(iter(value.values()), None) if value else None
    return out


def _int(value) -> int:
    if isinstance(value, bool) or value is None:
        raise ValueError
    return int(value)


def _is_error(attributes: dict) -> bool:
    if attributes.get("error.type") not in (None, ""):
        return True
    code = attributes.get("http.response.status_code", attributes.get("http.status_code"))
    try:
        return _int(code) >= 500
    except (TypeError, ValueError):
        return False


def _point(point: dict, scale: float):
    """(start_ns, time_ns, counts) where counts = [requests, le_5ms, ..., le_10000ms]; or
    the reason the point cannot be used."""
    try:
        start, end = _int(point.get("startTimeUnixNano")), _int(point["timeUnixNano"])
        count = _int(point.get("count", 0))
        buckets = [_int(c) for c in point.get("bucketCounts") or []]
        bounds = [float(b) for b in point.get("explicitBounds") or []]
    except (KeyError, TypeError, ValueError):
        return "malformed data point (times, count or buckets are not integers)"
    if not (0 <= start <= end and FIRST_NS <= end < PAST_NS):
        return (f"time {end} ns (start {start}) is outside {EARLIEST} .. "
                f"{LATEST_DAY} or before its start")
    if len(buckets) != len(bounds) + 1:
        return f"{len(buckets)} bucket counts for {len(bounds)} bounds (expected bounds + 1)"
    if any(c < 0 for c in buckets) or sum(buckets) != count:
        return f"bucket counts add up to {sum(buckets)}, count is {count}"
    cumulative, running = {}, 0
    for bound, n in zip(bounds, buckets, strict=False):
        running += n
        cumulative[round(bound * scale, 6)] = running
    missing = [b for b in LATENCY_BOUNDS_MS if b not in cumulative]
    if missing:
        return ("no bucket bound at " + ", ".join(f"{b} ms" for b in missing)
                + " (contract bounds cannot be interpolated)")
    return start, end, [count, *(cumulative[b] for b in LATENCY_BOUNDS_MS)]


def _metrics(resources):
    """(resource attributes, scope, metric) of every metric of these resources."""
    for resource in resources:
        attrs = _attrs((resource.get("resource") or {}).get("attributes"))
        for scope in resource.get("scopeMetrics") or []:
            for metric in scope.get("metrics") or []:
                yield attrs, scope, metric


def _error_counter(metric: dict, option: str | None) -> bool:
    """Whether `metric` is the separate counter of failed requests."""
    data = metric.get("sum")
    if not isinstance(data, dict):
        return False
    if option is not None:
        return metric.get("name") == option
    return bool(data.get("isMonotonic")) and "error" in str(metric.get("name", "")).lower()


def parse(files: list[Path], options: Options):
    wanted_option = options.extra.get("metric")
    errors_option = options.extra.get("errors")
    # which histogram each service is read from: the option's, else the newest name it has
    # (a first pass over the stream: the files are read twice, never held)
    names: dict = defaultdict(set)
    for path in files:
        for attrs, _, metric in _metrics(_resources(path)):
            names[attrs.get("service.name")].add(metric.get("name"))
    chosen = {service: wanted_option or next((m for m in METRICS if m in seen), METRICS[0])
              for service, seen in names.items()}
    wanted_text = wanted_option or " or ".join(METRICS)
    # series -> [(time, start, counts | reason, is_error, origin, raw)]
    series: dict[tuple, list] = defaultdict(list)
    error_series: dict[tuple, list] = defaultdict(list)
    kinds: dict[tuple, str] = {}
    for path in files:
        ordinal, file = 0, str(path)  # one string for every origin of the file
        if True:  # one loop level less than before: resources come from the stream
            for resource in _resources(path):
                resource_attrs = _attrs((resource.get("resource") or {}).get("attributes"))
                service = resource_attrs.get("service.name")
                # one series per resource (service.instance.id, host...), scope, metric and
                # point attributes: replicas of a service keep their own cumulative counts
                instance = json.dumps(resource_attrs, sort_keys=True, default=str)
                for scope in resource.get("scopeMetrics") or []:
                    for metric in scope.get("metrics") or []:
                        data = next((metric[k] for k in ("histogram", "exponentialHistogram",
                                                         "sum", "gauge", "summary")
                                     if isinstance(metric.get(k), dict)), {})
                        points = data.get("dataPoints") or []
                        first = Origin(file, ordinal + 1)
                        ordinal += len(points)
                        name = metric.get("name")
                        if errors_option != "" and _error_counter(metric, errors_option):
                            yield from _read_error_counter(
                                metric, data, points, service, instance, scope, first,
                                error_series, kinds)
                            continue
                        if name != chosen.get(service):
                            reason = (f"metric {name} is not {wanted_text}"
                                      if name not in METRICS or wanted_option else
                                      f"metric {name}: {chosen.get(service)} of the same "
                                      "service is read (semconv migration: both names)")
                            yield Skipped(reason, first, seen=str(name),
                                          by_nature=name in METRICS and not wanted_option)
                            continue
                        problem = _metric_problem(metric, service)
                        if problem:
                            yield Bad(ENTITY, problem, first,
                                      raw={"metric": name, "unit": metric.get("unit"),
                                           "service.name": service})
                            continue
                        kind = TEMPORALITY[metric["histogram"]["aggregationTemporality"]]
                        scale = SCALE[metric.get("unit")]
                        for n, point in enumerate(points):
                            origin = Origin(file, first.line + n)
                            attributes = _attrs(point.get("attributes"))
                            if _int_or(point.get("flags"), 0) & 1:
                                yield Skipped("data point flagged no recorded value", origin)
                                continue
                            key = (service, instance, (scope.get("scope") or {}).get("name"),
                                   name, json.dumps(attributes, sort_keys=True, default=str))
                            kinds[key] = kind
                            parsed = _point(point, scale)
                            when = _int_or(point.get("timeUnixNano"), 0)
                            # kept until the file ends: not the point (its counts are in
                            # `parsed`, its raw fields are rebuilt from them if refused);
                            # a malformed point keeps the fields that name it
                            raw = None if not isinstance(parsed, str) else {
                                "service.name": service, **{
                                    k: point[k] for k in ("startTimeUnixNano", "timeUnixNano",
                                                          "count") if k in point}}
                            series[key].append((when, parsed, _is_error(attributes), origin,
                                                raw))
    hours: dict[tuple[str, int], dict] = {}
    yield from _hours(series, kinds, hours)
    counted = {key[0] for key in error_series}  # services whose errors come from a counter
    counter_hours: dict[tuple[str, int], dict] = {}
    yield from _hours(error_series, kinds, counter_hours)
    for (service, hour), slot in counter_hours.items():
        target = hours.get((service, hour))
        if target is None:
            yield Skipped("errors at an hour with no request-duration points: no row",
                          slot["origin"])
            continue
        target["bad"] = target["bad"] or slot["bad"]
        target["counted_errors"] = (slot["counts"] or [0])[0]
    for (service, hour), slot in sorted(hours.items(),
                                        key=lambda kv: (kv[1]["origin"].line, kv[0][1])):
        when = datetime.fromtimestamp(hour * 3600, UTC)
        if slot["bad"] is not None:
            yield Bad(ENTITY, f"hour {when.isoformat()} of service {service} left out: its "
                              f"data point {slot['bad'].line} was refused",
                      slot["origin"], raw={"service.name": service, "hour": when.isoformat()})
            continue
        counts = slot["counts"]
        errors = slot.get("counted_errors", 0) if service in counted else slot["errors"]
        values = {"hour": when, "requests": counts[0], "errors": errors,
                  **dict(zip(LATENCY_BUCKETS, counts[1:], strict=True))}
        yield Row(ENTITY, values, slot["origin"], key=service,
                  raw={"service.name": service, "hour": when.isoformat(), "counts": counts,
                       "errors": errors})


def _read_error_counter(metric, data, points, service, instance, scope, first,
                        error_series, kinds):
    """Put the points of the separate error counter into `error_series`, as the histogram's
    go into theirs: (time, (start, end, [value]) or reason, False, origin, raw)."""
    name = metric.get("name")
    kind = TEMPORALITY.get(data.get("aggregationTemporality"))
    if not service or kind is None:
        yield Bad(ENTITY, f"error counter {name}: " + (
            "resource has no service.name attribute" if not service else
            f"aggregationTemporality {data.get('aggregationTemporality')!r} is neither "
            "DELTA (1) nor CUMULATIVE (2)"), first, raw={"metric": name,
                                                         "service.name": service})
        return
    for n, point in enumerate(points):
        origin = Origin(first.file, first.line + n)
        attributes = _attrs(point.get("attributes"))
        key = (service, instance, (scope.get("scope") or {}).get("name"), name,
               json.dumps(attributes, sort_keys=True, default=str))
        kinds[key] = kind
        try:
            value = point.get("asInt", point.get("asDouble"))
            count = _int(round(float(value))) if value is not None else None
            parsed = (_int(point.get("startTimeUnixNano")), _int(point["timeUnixNano"]),
                      [count]) if count is not None and count >= 0 else \
                "malformed error counter point (no asInt/asDouble, or negative)"
        except (KeyError, TypeError, ValueError):
            parsed = "malformed error counter point (times or value are not numbers)"
        error_series[key].append((_int_or(point.get("timeUnixNano"), 0), parsed, False,
                                  origin, {"service.name": service, **point}))


def _hours(series, kinds, hours):
    """Difference each series (by `_increment`) and sum the increments per (service,
    hour) into `hours`; yields the Skipped and Bad items of points that add nothing."""
    for key, points in series.items():
        service, previous = key[0], None
        for when, parsed, is_error, origin, raw in sorted(points, key=lambda p: p[0]):
            if raw is None:
                raw = {"service.name": service, "startTimeUnixNano": str(parsed[0]),
                       "timeUnixNano": str(parsed[1]), "count": str(parsed[2][0])}
            outcome = _increment(kinds[key], parsed, previous, when)
            # the next point is differenced against this one (or cannot be, if refused)
            previous = ("refused", origin.line, _start_of(raw)) if outcome[0] == "bad" \
                else parsed
            if outcome[0] == "skip":
                yield Skipped(outcome[1], origin)
                continue
            if outcome[0] == "bad" and not FIRST_NS <= outcome[2] < PAST_NS:
                yield Bad(ENTITY, outcome[1], origin, raw=raw)  # no hour it could spoil
                continue
            slot = hours.setdefault((service, outcome[2] // HOUR_NS),
                                    {"origin": origin, "bad": None, "counts": None,
                                     "errors": 0})
            if origin.line < slot["origin"].line:
                slot["origin"] = origin
            if outcome[0] == "bad":
                yield Bad(ENTITY, outcome[1], origin, raw=raw)
                slot["bad"] = slot["bad"] or origin
                continue
            counts = outcome[1]
            slot["counts"] = counts if slot["counts"] is None else [
                a + b for a, b in zip(slot["counts"], counts, strict=True)]
            if is_error:
                slot["errors"] += counts[0]


def _start_of(raw: dict) -> int | None:
    return _int_or(raw.get("startTimeUnixNano"), None)


def _int_or(value, default: int) -> int:
    try:
        return _int(value)
    except (TypeError, ValueError):
        return default


def _metric_problem(metric: dict, service) -> str | None:
    if not service:
        return "resource has no service.name attribute"
    histogram = metric.get("histogram")
    if not isinstance(histogram, dict):
        return "not an explicit-bucket histogram (exponential histograms are not read)"
    if histogram.get("aggregationTemporality") not in TEMPORALITY:
        return f"aggregationTemporality {histogram.get('aggregationTemporality')!r} is " \
               "neither DELTA (1) nor CUMULATIVE (2)"
    if metric.get("unit") not in SCALE:
        return f"unit {metric.get('unit')!r} is not a duration in s or ms"
    return None


def _increment(kind: str, parsed, previous, when: int):
    """("add", counts, begin_ns) this point adds; ("skip", reason); or ("bad", reason,
    begin_ns) where begin_ns is the start of what it would have covered."""
    if isinstance(parsed, str):
        return "bad", parsed, when
    start, end, counts = parsed
    if kind == "cumulative" and previous is not None and previous[0] == "refused":
        if previous[2] == start:
            return "bad", f"cannot difference against refused data point {previous[1]}", \
                end
        previous = None
    if kind == "cumulative" and previous is not None and previous[0] == start:
        begin = previous[1]
        if end <= begin:
            return "bad", "two points of one series at the same time", end
        delta = [a - b for a, b in zip(counts, previous[2], strict=True)]
        if any(d < 0 for d in delta):
            return "bad", "cumulative counts went down with the same start time", begin
        if end - begin > HOUR_NS:
            return "bad", "points more than an hour apart: cannot be put in one hour", begin
        return "add", delta, begin
    if end - start > HOUR_NS:
        if kind == "cumulative":
            return "skip", ("first cumulative point covers more than an hour: the baseline "
                            "for the next point")
        return "bad", "delta point covers more than an hour: cannot be put in one hour", start
    return "add", counts, start
