"""OpenSLO v1 → models.slo_availability, models.slo_latency_p95_ms.

Reads YAML files of `apiVersion: openslo/v1` objects, several per file (`---`) or as one
YAML list of objects (the form `oslo` and the OpenSLO Go SDK accept): each object is a
record. `kind: SLO` objects give the values; `kind: SLI` objects are read for the SLOs
that name them (`indicatorRef`); other kinds (Service, DataSource, AlertPolicy, …) are
skipped. `openslo/v1alpha` SLOs (Sloth's OpenSLO input: `objectives[].ratioMetrics
{good|bad, total}`, `target`) are read too.

Source key (modelops/importers/slo.py `source_key`): the SLO's `model` label
(`metadata.labels.model`, a string or a one-element list), else `spec.service`, else
`metadata.name`; resolved with --map, else a model id. OpenSLO's own examples carry no
model label: `--map` on the service (`openslo,web-shop,churn`). Only a model's two SLO
columns change: its current row is re-emitted with them replaced (see
modelops/importers/slo.py); an SLO for a model the warehouse does not hold is quarantined.

Per objective (`target` in [0, 1), or `targetPercent` / 100), with its SLI (inline
`indicator`, or `indicatorRef`, on the SLO or on the objective; v1alpha: the objective's
own `ratioMetrics`), what the ratio measures is read from its queries (`slo.classify`):
- a latency ratio (its queries read histogram buckets) whose target is exactly 0.95 and
  whose `good` query counts requests under a bound `le="X"` → slo_latency_p95_ms = X ×
  1000 (X in seconds, or as is for a metric named in milliseconds); any other target on
  such an SLI is not a p95: skipped. A latency ratio never sets the availability target;
- a ratio of requests by status or errors (`code!~"5.."`, `errors_total`) with
  `budgetingMethod: Occurrences` → slo_availability = target; Timeslices /
  RatioTimeslices are skipped (not a request ratio);
- any other ratio (`up`, a bare duration) is skipped with the reason; a
  thresholdMetric is skipped (no unit, no bound to read).
Lost: time windows, alerting, composite weights, other percentiles.
"""

from __future__ import annotations

from modelops.importers.base import Bad, Origin, Skipped
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

SOURCE = "openslo"
KEY = "model label"
ENTITIES = ("models",)
API = "openslo/v1"
APIS = (API, "openslo/v1alpha")


def parse(files, options):
    documents = []
    for path in files:
        for document in read_yaml(path):
            if isinstance(document, Refused):  # past a bound: quarantined unexpanded
                documents.append((document, Origin(str(path), document.line)))
                continue
            # oslo's list form: one YAML document holding a list of objects
            for item in document if isinstance(document, list) else [document]:
                documents.append((item, Origin(str(path), line_of(item, line_of(document)))))
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
        if document.get("apiVersion") not in APIS:
            yield Bad("models", f"SLO {name}: apiVersion {document.get('apiVersion')!r} is "
                      f"not {' or '.join(APIS)}", origin, raw=document)
            continue
        yield from _slo(document, name, origin, slis, collector)
    yield from collector.rows(options)


def _slo(document, name, origin, slis, collector):
    spec = document.get("spec") or {}
    found = source_key(model_label((document.get("metadata") or {}).get("labels")),
                       spec.get("service"), name)
    if isinstance(found, str):
        yield Bad("models", f"SLO {name} {found}", origin, raw=document)
        return
    kind, key = found
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
        if isinstance(objective.get("ratioMetrics"), dict):  # v1alpha: the ratio inline
            sli = {"ratioMetric": objective["ratioMetrics"]}
        else:
            sli = _indicator(objective, spec, slis)
        if isinstance(sli, str):
            yield Bad("models", f"SLO {name}: {sli}", here, raw=document)
            continue
        ratio = sli.get("ratioMetric")
        if not isinstance(ratio, dict):
            what = "thresholdMetric" if "thresholdMetric" in sli else "an indicator"
            yield Skipped(f"SLO {name}: {what} objective: no ratio to read", here)
            continue
        side = strings(ratio.get("good")) + strings(ratio.get("bad"))
        measures = classify(side, strings(ratio.get("total")))
        if measures == "latency":
            bound = latency_bound_ms(strings(ratio.get("good")))
            if target != P95 or bound is None:
                what = (f"at target {target:g} is not a p95 (only target 0.95 is)"
                        if target != P95 else 'has no bound (le="X") in its good query')
                yield Skipped(f"SLO {name}: latency objective {what}", here)
                continue
            bad = collector.set(key, "slo_latency_p95_ms", bound, here, kind)
        elif spec.get("budgetingMethod") != "Occurrences":
            yield Skipped(f"SLO {name}: budgetingMethod {spec.get('budgetingMethod')} is not "
                          "an availability ratio (only Occurrences is)", here)
            continue
        elif measures == "availability":
            bad = collector.set(key, "slo_availability", float(target), here, kind)
        else:
            yield Skipped(f"SLO {name}: {measures}", here)
            continue
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
