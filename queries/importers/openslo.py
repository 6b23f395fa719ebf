"""OpenSLO v1 → models.slo_availability, models.slo_latency_p95_ms.

Reads YAML files of `apiVersion: openslo/v1` objects, several per file (`---`). `kind:
SLO` objects give the values; `kind: SLI` objects are read for the SLOs that name them
(`indicatorRef`); other kinds (Service, DataSource, AlertPolicy, …) are skipped.

Source key: the SLO's `model` label (`metadata.labels.model`, a string or a one-element
list), resolved with --map, else a model id. Only a model's two SLO columns change: its
current row is re-emitted with them replaced (see queries/importers/slo.py); an SLO for a
model the warehouse does not hold is quarantined.

Per objective (`target` in [0, 1), or `targetPercent` / 100), with its SLI (inline
`indicator`, or `indicatorRef`, on the SLO or on the objective):
- a ratioMetric whose `good` query counts requests under a histogram bound `le="X"` with
  target exactly 0.95 → slo_latency_p95_ms = X × 1000 (X in seconds, or as is for a
  metric named in milliseconds); any other target on such an SLI is not a p95: skipped;
- any other ratioMetric with `budgetingMethod: Occurrences` → slo_availability = target;
  Timeslices / RatioTimeslices are skipped (not a request ratio);
- a thresholdMetric is skipped (no unit, no bound to read).
Lost: time windows, alerting, composite weights, other percentiles.
"""

from __future__ import annotations

from queries.importers.base import Bad, Origin, Skipped
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

SOURCE = "openslo"
KEY = "model label"
ENTITIES = ("models",)
API = "openslo/v1"


def parse(files, options):
    documents = []
    for path in files:
        for document in read_yaml(path):
            line = document.line if isinstance(document, Refused) else line_of(document)
            documents.append((document, Origin(str(path), line)))
    slis = {}
    for document, _ in documents:
        if isinstance(document, dict) and document.get("kind") == "SLI":
            name = (document.get("metadata") or {}).get("name")
            slis[name] = document.get("spec") or {}

    collector = Collector(KEY)
    for document, origin in documents:
        if isinstance(document, Refused):
            yield Bad("models", document.reason, origin, raw=document.text)
            continue
        if not isinstance(document, dict):
            yield Bad("models", "a YAML document that is not a mapping", origin, raw=document)
            continue
        kind = document.get("kind")
        name = (document.get("metadata") or {}).get("name")
        if kind == "SLI":
            continue
        if kind != "SLO":
            yield Skipped(f"{kind or 'a document without kind'} is not an SLO", origin)
            continue
        if document.get("apiVersion") != API:
            yield Bad("models", f"SLO {name}: apiVersion {document.get('apiVersion')!r} is "
                      f"not {API}", origin, raw=document)
            continue
        yield from _slo(document, name, origin, slis, collector)
    yield from collector.rows(options)


def _slo(document, name, origin, slis, collector):
    spec = document.get("spec") or {}
    key = model_label((document.get("metadata") or {}).get("labels"))
    if not isinstance(key, str) or not key:
        reason = ("has no model label" if not key
                  else f"has several model labels: {', '.join(map(str, key))}")
        yield Bad("models", f"SLO {name} {reason}", origin, raw=document)
        return
    objectives = spec.get("objectives") or []
    if not objectives:
        yield Bad("models", f"SLO {name} has no objectives", origin, raw=document)
        return
    for objective in objectives:
        here = Origin(origin.file, line_of(objective, origin.line))
        target = objective.get("target")
        if target is None and objective.get("targetPercent") is not None:
            target = objective["targetPercent"] / 100
        if not isinstance(target, (int, float)) or isinstance(target, bool):
            yield Bad("models", f"SLO {name}: objective has no numeric target", here,
                      raw=document)
            continue
        sli = _indicator(objective, spec, slis)
        if isinstance(sli, str):
            yield Bad("models", f"SLO {name}: {sli}", here, raw=document)
            continue
        ratio = sli.get("ratioMetric")
        if not isinstance(ratio, dict):
            what = "thresholdMetric" if "thresholdMetric" in sli else "an indicator"
            yield Skipped(f"SLO {name}: {what} objective: no ratio to read", here)
            continue
        bound = latency_bound_ms(strings(ratio.get("good")))
        if bound is not None:
            if target != P95:
                yield Skipped(f"SLO {name}: latency objective at target {target:g} is not a "
                              "p95 (only target 0.95 is)", here)
                continue
            bad = collector.set(key, "slo_latency_p95_ms", bound, here)
        else:
            method = spec.get("budgetingMethod")
            if method != "Occurrences":
                yield Skipped(f"SLO {name}: budgetingMethod {method} is not an availability "
                              "ratio (only Occurrences is)", here)
                continue
            bad = collector.set(key, "slo_availability", float(target), here)
        if bad is not None:
            bad.raw = document
            yield bad


def _indicator(objective, spec, slis) -> dict | str:
    """The SLI spec of an objective, or why there is none."""
    for holder in (objective, spec):
        if isinstance(holder.get("indicator"), dict):
            return holder["indicator"].get("spec") or {}
        ref = holder.get("indicatorRef")
        if ref:
            if ref not in slis:
                return f"indicatorRef {ref}: no SLI of that name in the files"
            return slis[ref]
    return "no indicator or indicatorRef"
