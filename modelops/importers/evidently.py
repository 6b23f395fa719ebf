"""Evidently drift reports (JSON) -> drift.

Two shapes, told apart by content:
- current API (0.7+) `Snapshot.json()`: `{metrics: [{id, metric_name, config: {type,
  column, method, threshold}, value}], tests: [...]}`; one row per `ValueDrift` metric
  (value = the test's score). The file has no time: measured_at is `--option at=T`
  (ISO 8601; without an offset it is read in `--option tz=ZONE`, default UTC), else the
  file's modification time (UTC). Other metrics (DriftedColumnsCount, ...) are skipped.
- legacy (`evidently.legacy`, the 0.4-0.6 API) `Report.json()`: `{version, metrics:
  [{metric: "DataDriftTable", result: {drift_by_columns: {col: {stattest_name,
  stattest_threshold, drift_score, drift_detected, ...}}}}], timestamp}`; also
  `ColumnDriftMetric`. `timestamp` is naive local time ("YYYY-MM-DD HH:MM:SS") of the
  machine that ran the report: it is read in `--option tz=ZONE` (an IANA name), default
  UTC. `Report.as_dict()` written as JSON has the same metrics and no timestamp: its time
  is `--option at=T` (which also overrides a file's own timestamp), and without it the
  file is refused saying so. Other metrics (DatasetDriftMetric, ...) are skipped.

Neither names a model: `--model MODEL_ID` is required. A run whose reports hold no
per-column drift result at all loads nothing and exits 2 naming the metrics it saw.

Scores. The contract alerts when score > threshold. Evidently's p-value tests (K-S,
chi-square, Z, Anderson-Darling, Mann-Whitney, ...) detect drift when the p-value is
*below* the threshold, so they are stored as score = 1 - p and threshold = 1 - t; distance
tests (PSI, Jensen-Shannon, Wasserstein, Hellinger, KL, energy) are stored as they are.
Each test's own rule is in STATTESTS (from evidently/legacy/calculations/stattests).
A row is refused when the stored alert would differ from the report's own verdict
(`drift_detected`, or for the current API the test's rule): that happens only at a tie,
score == threshold, where K-S and Cramer-von Mises (p <= t) and the distance tests
(d >= t) detect drift but score > threshold does not. An unknown test (a custom function)
is refused: its direction is unknown.
method: ks -> ks, psi -> psi, jensenshannon -> js, wasserstein -> wasserstein, else other.
Origin line = the 1-based number of the metric (current API) or of the per-column result
(legacy, columns in file order) in the file.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from pathlib import Path

from modelops.importers.base import Bad, Options, Origin, Row, Skipped, Unreadable, parse_time
from modelops.importers.base import read_json as _read_json
from modelops.warehouse import UsageError

SOURCE = "evidently"
KEY = "model"
ENTITIES = ("drift",)

ENTITY = "drift"
NOTHING_READ = ("it reads per-column drift results (ValueDrift in 0.7; DataDriftTable or "
                "ColumnDriftMetric in legacy reports): run a report with DataDriftPreset")
# name: (display name, "p" p-value test or "d" distance, drift rule, default threshold)
STATTESTS = {
    "ks": ("K-S p_value", "p", "<=", 0.05),
    "chisquare": ("chi-square p_value", "p", "<", 0.05),
    "z": ("Z-test p_value", "p", "<", 0.05),
    "anderson": ("Anderson-Darling", "p", "<", 0.1),
    "cramer_von_mises": ("Cramer-von Mises", "p", "<=", 0.1),
    "es": ("Epps-Singleton", "p", "<", 0.05),
    "fisher_exact": ("Fisher's Exact test", "p", "<", 0.1),
    "g_test": ("g_test", "p", "<", 0.1),
    "mannw": ("Mann-Whitney U-rank test", "p", "<", 0.05),
    "empirical_mmd": ("empirical_mmd", "p", "<", 0.1),
    "t_test": ("t_test", "p", "<", 0.05),
    "TVD": ("Total-Variation-Distance", "p", "<", 0.1),
    "psi": ("PSI", "d", ">=", 0.1),
    "jensenshannon": ("Jensen-Shannon distance", "d", ">=", 0.1),
    "wasserstein": ("Wasserstein distance (normed)", "d", ">=", 0.1),
    "hellinger": ("Hellinger distance", "d", ">=", 0.1),
    "kl_div": ("Kullback-Leibler divergence", "d", ">=", 0.1),
    "ed": ("Energy-distance", "d", ">", 0.1),
}
BY_DISPLAY = {v[0]: k for k, v in STATTESTS.items()}
METHODS = {"ks": "ks", "psi": "psi", "jensenshannon": "js", "wasserstein": "wasserstein"}


def _test(method) -> str | None:
    """The stattest name of a method as written (its name or its display name)."""
    if method in STATTESTS:
        return method
    return BY_DISPLAY.get(method)


def _row(model: str, feature, method, threshold, value, detected, measured_at: datetime):
    """The row's values, or the reason it cannot be stored."""
    name = _test(method)
    if name is None:
        return f"unknown drift test {method!r}: cannot tell which way it alerts"
    _, kind, rule, default = STATTESTS[name]
    threshold = default if threshold is None else threshold
    if not _number(value) or not _number(threshold):
        return f"score {value!r} or threshold {threshold!r} is not a number"
    if not feature:
        return "no column name"
    if detected is None:  # the current API carries no verdict: the test's own rule
        detected = {"<": value < threshold, "<=": value <= threshold,
                    ">": value > threshold, ">=": value >= threshold}[rule]
    score, bound = (1 - value, 1 - threshold) if kind == "p" else (value, threshold)
    if (score > bound) != bool(detected):
        return (f"{STATTESTS[name][0]} {value} at threshold {threshold}: the report says "
                f"drift_detected={str(bool(detected)).lower()}, score > threshold would "
                "say otherwise (a tie the contract cannot express)")
    return {"model_id": model, "feature": feature, "measured_at": measured_at,
            "method": METHODS.get(name, "other"), "score": score, "threshold": bound}


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and math.isfinite(value)


def parse(files: list[Path], options: Options):
    if not options.model:
        raise UsageError("evidently reports name no model: give --model MODEL_ID")
    zone = options.extra.get("tz", "UTC")
    for path in files:
        doc = _read_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("metrics"), list):
            raise Unreadable(path, "not an Evidently report (no metrics list)")
        legacy = "timestamp" in doc or any(isinstance(m, dict) and "metric" in m
                                           for m in doc["metrics"])
        if legacy:
            yield from _legacy(path, doc, options, zone)
        else:
            yield from _current(path, doc, options, zone)


def _at(options: Options, zone: str) -> datetime | None:
    """`--option at=T` (read in `--option tz`), or None when not given."""
    if "at" not in options.extra:
        return None
    try:
        return parse_time(options.extra["at"], zone=zone)
    except ValueError as error:
        raise UsageError(f"--option at: {error}") from None


def _current(path: Path, doc: dict, options: Options, zone: str):
    measured_at = _at(options, zone) or datetime.fromtimestamp(Path(path).stat().st_mtime, UTC)
    for number, metric in enumerate(doc["metrics"], start=1):
        origin = Origin(str(path), number)
        if not isinstance(metric, dict):
            metric = {}
        config = metric.get("config") or {}
        kind = str(config.get("type", ""))
        name = metric.get("metric_name", "")
        if not (kind.endswith(":ValueDrift") or str(name).startswith("ValueDrift(")):
            short = re.sub(r"\(.*", "", str(name)) or kind or "?"
            yield Skipped(f"metric {short} is not a per-column drift result", origin,
                          by_nature=False, seen=short)
            continue
        values = _row(options.model, config.get("column"), config.get("method"),
                      config.get("threshold"), metric.get("value"), None, measured_at)
        if isinstance(values, str):
            yield Bad(ENTITY, values, origin, raw=metric)
        else:
            yield Row(ENTITY, values, origin, raw=metric)


def _legacy(path: Path, doc: dict, options: Options, zone: str):
    model = options.model
    measured_at = _at(options, zone)
    if measured_at is None:
        if doc.get("timestamp") in (None, ""):
            raise Unreadable(path, "the report has no timestamp (Report.as_dict() writes "
                                   "none): give the time it was measured with --option at=T")
        try:
            measured_at = parse_time(doc.get("timestamp"), zone=zone)
        except ValueError as error:
            raise Unreadable(path, f"timestamp: {error}") from None
    number = 0
    for metric in doc["metrics"]:
        name = metric.get("metric") if isinstance(metric, dict) else None
        result = (metric.get("result") or {}) if isinstance(metric, dict) else {}
        if name == "DataDriftTable":
            columns = list((result.get("drift_by_columns") or {}).values())
        elif name == "ColumnDriftMetric":
            columns = [result]
        else:
            number += 1
            yield Skipped(f"metric {name} is not a per-column drift result",
                          Origin(str(path), number), by_nature=False, seen=str(name))
            continue
        for column in columns:
            number += 1
            origin = Origin(str(path), number)
            raw = {k: column.get(k) for k in ("column_name", "stattest_name",
                                              "stattest_threshold", "drift_score",
                                              "drift_detected")}
            values = _row(model, column.get("column_name"), column.get("stattest_name"),
                          column.get("stattest_threshold"), column.get("drift_score"),
                          column.get("drift_detected"), measured_at)
            if isinstance(values, str):
                yield Bad(ENTITY, values, origin, raw=raw)
            else:
                yield Row(ENTITY, values, origin, raw=raw)
