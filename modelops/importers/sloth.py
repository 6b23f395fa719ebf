"""Sloth → models.slo_availability, models.slo_latency_p95_ms.

Reads Sloth SLO specs as written for `sloth generate`: `version: "prometheus/v1"` files
(`service`, `labels`, `slos: [...]`), and the Kubernetes form (`apiVersion:
sloth.slok.dev/v1`, `kind: PrometheusServiceLevel`, the same fields under `spec`); several
YAML documents per file are fine. Sloth's OpenSLO input (`apiVersion: openslo/v1alpha`) is
refused with the importer that reads it: `modelops import openslo`.

Source key (modelops/importers/slo.py `source_key`): the SLO's `model` label
(`slos[].labels.model`, else the file's `labels.model`), else the file's `service`, else
the SLO's `name`; resolved with --map, else a model id. Sloth's own examples carry no
model label: `--map` on the service (`sloth,myservice,churn`). Only a model's two SLO
columns change: its current row is re-emitted with them replaced; an SLO for a model the
warehouse does not hold is quarantined ("service myservice has no model").

`objective` is a percent (99.9 → 0.999). Sloth's `events` and `raw` SLIs are generic
ratios, so what an SLO measures is read from its queries (`slo.classify`):
- latency when a query reads histogram buckets (`_bucket`, `le=`, `vmrange`,
  `histogram_share(X, ...)`): with objective exactly 95 and a bound X (`le="X"` or
  histogram_share's X) it gives slo_latency_p95_ms = X × 1000 (X in seconds, or as is for a
  metric named in milliseconds); any other objective (the 90 or 99 of a latency SLO) is
  skipped. A latency SLI never sets the availability target;
- availability when the error query counts failed requests (a status-code selector such
  as `code=~"(5..|429)"`, or a metric naming errors or failures): slo_availability =
  objective / 100;
- anything else (a satisfaction ratio, a bare duration) is skipped with the reason.
Plugin SLIs are skipped (their query is not in the file). Lost: windows, alerting, other
percentiles.
"""

from __future__ import annotations

from decimal import Decimal

from modelops.importers.base import Bad, Origin, Skipped, Unreadable
from modelops.importers.slo import (
    P95,
    Collector,
    Refused,
    classify,
    latency_bound_ms,
    line_of,
    model_label,
    read_yaml,
    source_key,
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
            if isinstance(document, Refused):  # past a bound: quarantined unexpanded
                yield Bad("models", document.reason, Origin(str(path), document.line),
                          raw=document.text)
                continue
            body = _body(document)
            if body is None:
                api = document.get("apiVersion") if isinstance(document, dict) else None
                if isinstance(api, str) and api.startswith("openslo/"):
                    raise Unreadable(path, f"apiVersion {api} is Sloth's OpenSLO input: "
                                           "import it with `modelops import openslo`",
                                     line=line_of(document, None))
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
        found = source_key(model_label(slo.get("labels")) or top, body.get("service"), name)
        if isinstance(found, str):
            yield Bad("models", f"SLO {name} {found}", origin, raw=slo)
            continue
        kind, key = found
        objective = slo.get("objective")
        if not isinstance(objective, (int, float)) or isinstance(objective, bool):
            yield Bad("models", f"SLO {name}: objective is not a number: {objective!r}",
                      origin, raw=slo)
            continue
        sli = slo.get("sli") or {}
        if "plugin" in sli:
            yield Skipped(f"SLO {name}: plugin SLI (its query is not in the file)", origin)
            continue
        events, raw = sli.get("events"), sli.get("raw")
        queries = strings(events) + strings(raw)
        if not queries:
            yield Bad("models", f"SLO {name}: sli has no events or raw query", origin, raw=slo)
            continue
        if isinstance(events, dict):
            error_side, total_side = strings(events.get("error_query")), \
                strings(events.get("total_query"))
        else:
            error_side, total_side = strings(raw), []
        target = float(Decimal(str(objective)) / 100)  # 99.9 -> 0.999, not 0.99900…01
        measures = classify(error_side, total_side)
        if measures == "latency":
            bound = latency_bound_ms(queries)
            if target != P95 or bound is None:
                what = (f"at {objective:g}% is not a p95 (only 95 is)"
                        if target != P95 else "has no histogram bound (le=\"X\") to read")
                yield Skipped(f"SLO {name}: latency objective {what}", origin)
                continue
            bad = collector.set(key, "slo_latency_p95_ms", bound, origin, kind)
        elif measures == "availability":
            bad = collector.set(key, "slo_availability", target, origin, kind)
        else:
            yield Skipped(f"SLO {name}: {measures}", origin)
            continue
        if bad is not None:
            bad.raw = slo
            yield bad
