"""Sloth → models.slo_availability, models.slo_latency_p95_ms.

Reads Sloth SLO specs as written for `sloth generate`: `version: "prometheus/v1"` files
(`service`, `labels`, `slos: [...]`), and the Kubernetes form (`apiVersion:
sloth.slok.dev/v1`, `kind: PrometheusServiceLevel`, the same fields under `spec`); several
YAML documents per file are fine. Sloth's OpenSLO input (openslo/v1alpha) is not read.

Source key: the SLO's `model` label (`slos[].labels.model`, else the file's
`labels.model`), resolved with --map, else a model id. Only a model's two SLO columns
change: its current row is re-emitted with them replaced; an SLO for a model the
warehouse does not hold is quarantined.

`objective` is a percent (99.9 → 0.999). An SLI whose query names a histogram bound
`le="X"` (events: `error_query` counts requests over X) is a latency SLO: with objective
exactly 95 it gives slo_latency_p95_ms = X × 1000 (X in seconds, or as is for a metric
named in milliseconds); other objectives on it are skipped. Any other events/raw SLI is an
availability SLO: slo_availability = objective / 100. Plugin SLIs are skipped (their
query is not in the file). Lost: windows, alerting, other percentiles.
"""

from __future__ import annotations

from decimal import Decimal

from queries.importers.base import Bad, Origin, Skipped, Unreadable
from queries.importers.slo import (
    P95,
    Collector,
    Refused,
    latency_bound_ms,
    line_of,
    model_label,
    read_yaml,
    strings,
)

SOURCE = "sloth"
KEY = "model label"
ENTITIES = ("models",)


def parse(files, options):
    collector = Collector(KEY)
    for path in files:
        documents = read_yaml(path)
        for document in documents:
            if isinstance(document, Refused):
                yield Bad("models", document.reason, Origin(str(path), document.line),
                          raw=document.text)
                continue
            body = _body(document)
            if body is None:
                raise Unreadable(path, "not a Sloth spec: expected version: prometheus/v1 "
                                       "or kind: PrometheusServiceLevel",
                                 line=line_of(document, None))
            yield from _service(body, str(path), collector)
    yield from collector.rows(options)


def _body(document):
    if not isinstance(document, dict):
        return None
    if document.get("version") == "prometheus/v1":
        return document
    if document.get("kind") == "PrometheusServiceLevel" and \
            str(document.get("apiVersion", "")).startswith("sloth.slok.dev/"):
        return document.get("spec") or {}
    return None


def _service(body, file, collector):
    top = model_label(body.get("labels"))
    for slo in body.get("slos") or []:
        origin = Origin(file, line_of(slo, line_of(body)))
        if not isinstance(slo, dict):
            yield Bad("models", "an SLO that is not a mapping", origin, raw=slo)
            continue
        name = slo.get("name")
        key = model_label(slo.get("labels")) or top
        if not isinstance(key, str) or not key:
            reason = ("has no model label" if not key
                      else f"has several model labels: {', '.join(map(str, key))}")
            yield Bad("models", f"SLO {name} {reason}", origin, raw=slo)
            continue
        objective = slo.get("objective")
        if not isinstance(objective, (int, float)) or isinstance(objective, bool):
            yield Bad("models", f"SLO {name}: objective is not a number: {objective!r}",
                      origin, raw=slo)
            continue
        sli = slo.get("sli") or {}
        if "plugin" in sli:
            yield Skipped(f"SLO {name}: plugin SLI (its query is not in the file)", origin)
            continue
        queries = strings(sli.get("events")) + strings(sli.get("raw"))
        if not queries:
            yield Bad("models", f"SLO {name}: sli has no events or raw query", origin, raw=slo)
            continue
        target = float(Decimal(str(objective)) / 100)  # 99.9 -> 0.999, not 0.99900…01
        bound = latency_bound_ms(queries)
        if bound is not None:
            if target != P95:
                yield Skipped(f"SLO {name}: latency objective at {objective:g}% is not a p95 "
                              "(only 95 is)", origin)
                continue
            bad = collector.set(key, "slo_latency_p95_ms", bound, origin)
        else:
            bad = collector.set(key, "slo_availability", target, origin)
        if bad is not None:
            bad.raw = slo
            yield bad
