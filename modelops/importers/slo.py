"""What the OpenSLO and Sloth importers share: YAML with line numbers, the latency bound of
a "fraction of requests under le=X" objective, and the partial update of a model's row.

An SLO file changes only a model's two SLO columns. The contract upserts whole rows, so
the importer re-emits the model's current row (`options.current("models", key)`) with those
two columns replaced; everything else stays as it was. An SLO for a model the warehouse
does not hold is quarantined ("<KEY> <key> has no model"), never turned into a model.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from modelops.importers.base import (
    MAX_NESTING,
    MAX_YAML_BYTES,
    Bad,
    Origin,
    Row,
    Unreadable,
    read_document,
)

P95 = 0.95
# le="0.5", le = "0.5", le=~"0.5" in a PromQL selector
_LE = re.compile(r'\ble\s*=~?\s*"([^"]*)"')
# histogram_share(0.2, ...) (VictoriaMetrics MetricsQL): the share of values <= 0.2
_SHARE = re.compile(r"\bhistogram_share\s*\(\s*([0-9.eE+-]+)\s*,")
# What a latency SLI's queries read: histogram buckets and their bounds (Prometheus `le`,
# VictoriaMetrics `vmrange`) or a histogram function.
_LATENCY = re.compile(r"_bucket\b|\ble\s*=|\bvmrange\b|\bhistogram_\w+\s*\(")
# What a query that counts failed requests names: a status-code selector (code=~"5..",
# status_code!~"2..", grpc_code="Unavailable") or a metric/label naming errors or failures.
_ERRORS = re.compile(r"\b\w*(code|status)\w*\s*(=~|!~|!=|=)|5\.\.|5xx|error|fail",
                     re.IGNORECASE)
# A duration or latency metric read without buckets (an average, a max): not a ratio of
# requests, so neither an availability nor a p95.
_DURATION = re.compile(r"duration|latency|_seconds\b|_seconds_(sum|max)\b", re.IGNORECASE)


class LineDict(dict):
    """A YAML mapping that remembers the 1-based line it starts on."""

    line = 0


# Bounds of a YAML document (docs/DATA_CONTRACT.md, "Bounds of an import"): nodes once every
# alias is expanded (a "billion laughs" file of 1 kB is 10^9 of them), and nesting.
MAX_YAML_NODES = 100_000


@dataclass
class Refused:
    """A YAML document that is read but not used: its aliases expand past MAX_YAML_NODES,
    it nests past MAX_NESTING once expanded, or a mapping repeats a key. The importer
    quarantines it with `reason`; `text` is the document as written (cut for the
    quarantine), never its expansion."""

    line: int
    reason: str
    text: str


class _TooDeep(Exception):
    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with the bounds of an import: nesting is counted while the
    document is composed (so 100,000 levels stop at MAX_NESTING, not in a RecursionError),
    and repeated keys are noted (PyYAML keeps the last one in silence)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0
        self.repeated: list[str] = []

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                raise _TooDeep(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _mapping(loader, node):
    seen: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node,
                                                                        yaml.ScalarNode):
            continue
        key = loader.construct_object(key_node)
        line = key_node.start_mark.line + 1
        if key in seen:
            loader.repeated.append(f"key {str(key)[:60]!r} appears twice in one mapping "
                                   f"(lines {seen[key]} and {line})")
        else:
            seen[key] = line
    value = LineDict(loader.construct_mapping(node, deep=True))
    value.line = node.start_mark.line + 1
    return value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _expansion(root) -> str | None:
    """Why a composed document is too big once its aliases are expanded, or None. Each node
    is visited once (aliases share their anchor's node), without recursion."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = [] if isinstance(node, yaml.ScalarNode) else [
            c for pair in node.value for c in (pair if isinstance(pair, tuple) else (pair,))]
        if not done:
            if key in size:
                continue
            if key in depth:  # started, not finished: an alias of one of its own parents
                return "an alias refers to a node that contains it (a recursive document)"
            depth[key] = 0
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in size)
            continue
        size[key] = 1 + sum(size[id(c)] for c in children)
        depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
        if size[key] > MAX_YAML_NODES:
            return (f"its aliases expand to more than {MAX_YAML_NODES:,} nodes "
                    "(refused unexpanded)")
        if depth[key] > MAX_NESTING:
            return f"nested deeper than {MAX_NESTING} levels once its aliases are expanded"
    return None


def read_yaml(path: Path) -> list:
    """Every document of a YAML file (mappings as LineDict; a document refused by the
    bounds as `Refused`), or Unreadable with the line: past MAX_YAML_BYTES, not YAML, or
    nested past MAX_NESTING."""
    text = read_document(path, MAX_YAML_BYTES)
    loader = _Loader(text)
    out: list = []
    try:
        while loader.check_node():
            node = loader.get_node()
            line = node.start_mark.line + 1
            written = text[node.start_mark.index:node.end_mark.index]
            problem = _expansion(node)
            if problem is None:
                loader.repeated = []
                try:
                    document = loader.construct_document(node)
                    problem = "; ".join(loader.repeated[:3]) or None
                except (ValueError, OverflowError) as error:  # an int of 5,000 digits
                    problem = f"a value cannot be read ({str(error)[:120]})"
                    # what construct_document resets when it ends normally
                    loader.constructed_objects, loader.recursive_objects = {}, {}
                    loader.state_generators, loader.deep_construct = [], False
            if problem is not None:
                out.append(Refused(line, f"YAML document refused: {problem}", written))
            elif document is not None:
                out.append(document)
    except _TooDeep as error:
        raise Unreadable(path, f"YAML nested deeper than {MAX_NESTING} levels",
                         line=error.line) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or type(error).__name__
        raise Unreadable(path, f"not valid YAML ({problem})",
                         line=mark.line + 1 if mark else None) from None
    except RecursionError:  # the guard above should make this unreachable
        raise Unreadable(path, f"YAML nested deeper than {MAX_NESTING} levels") from None
    finally:
        loader.dispose()
    return out


def line_of(value, default: int = 1) -> int:
    return getattr(value, "line", default) or default


def strings(value) -> list[str]:
    """Every string inside a nested YAML value (queries sit at source-specific places)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def classify(error_side: list[str], total_side: list[str]) -> str:
    """What an SLI measures, from its queries: "latency", "availability", or a reason.

    Sloth's events and raw SLIs and OpenSLO's ratioMetric are generic ratios: the same
    shape counts failed requests (availability) or slow ones (latency). So:
    - latency when a query reads histogram buckets (`_bucket`, an `le` or `vmrange`
      selector, a `histogram_*` function), whatever the objective;
    - availability only when the error side (Sloth error_query / error_ratio_query,
      OpenSLO good or bad) counts requests by status or errors (`code=~"5.."`,
      `errors_total`, ...) and no query reads a duration without buckets;
    - anything else (a satisfaction ratio, `up`, a bare duration) is not told apart: the
      reason, so the SLO is skipped rather than stored as the availability target.
    `error_side` for OpenSLO is the good or bad query: a good query excluding 5xx
    (`code!~"5.."`) names the status code just the same."""
    everything = error_side + total_side
    if any(_LATENCY.search(q) for q in everything):
        return "latency"
    if any(_ERRORS.search(q) for q in error_side):
        return "availability"
    if any(_DURATION.search(q) for q in everything):
        return "a duration without histogram buckets: not a ratio of requests"
    return ("cannot tell whether it measures availability: its queries count no errors or "
            "status codes")


def latency_bound_ms(queries: list[str]) -> float | None:
    """The X of `le="X"` (or of VictoriaMetrics' `histogram_share(X, ...)`) in these
    queries, in milliseconds (Prometheus histograms are in seconds unless the metric says
    milliseconds); None when no query has a finite bound."""
    for query in queries:
        match = _LE.search(query) or _SHARE.search(query)
        if not match:
            continue
        try:
            bound = float(match.group(1))
        except ValueError:
            continue
        if not math.isfinite(bound):
            continue
        in_ms = re.search(r"_(milliseconds|ms)(_bucket)?\b", query) is not None
        return bound if in_ms else bound * 1000
    return None


def model_label(labels) -> str | None | list:
    """The `model` label: a string, or (OpenSLO allows lists) a one-element list."""
    if not isinstance(labels, dict):
        return None
    value = labels.get("model")
    if isinstance(value, list):
        return value[0] if len(value) == 1 and isinstance(value[0], str) else value
    return None if value is None else str(value)


def source_key(label, service, name) -> tuple[str, str] | str:
    """(kind, key) an SLO is attached to a model by, or why it cannot be.

    Neither Sloth's nor OpenSLO's own examples carry a `model` label: they name a service
    (and the SLO a name). So the key is the `model` label when there is one, else the
    service, else the SLO's name, in that order; --map maps whichever it is (`sloth,
    myservice,churn`), and the reasons say which kind it was ("service myservice has no
    model"). Several model labels are refused: one SLO cannot set two models."""
    if isinstance(label, list):
        return f"has several model labels: {', '.join(map(str, label))}"
    for kind, value in (("model label", label), ("service", service), ("SLO", name)):
        if isinstance(value, str | int | float) and not isinstance(value, bool) \
                and str(value).strip():
            return kind, str(value).strip()
    return "has no model label, service or name"


@dataclass
class Changes:
    """The SLO columns one import sets per model, with where each came from."""

    origin: Origin
    values: dict = field(default_factory=dict)
    where: dict = field(default_factory=dict)


class Collector:
    """Gathers SLO values per model key across files; two different values for one column
    of one model are a conflict (quarantined at the second), equal ones are fine."""

    def __init__(self, key_name: str):
        self.key_name = key_name
        self.models: dict[str, Changes] = {}
        self.kinds: dict[str, str] = {}  # key -> what it is ("service", "model label", ...)

    def set(self, key: str, column: str, value: float, origin: Origin,
            kind: str | None = None) -> Bad | None:
        kind = self.kinds.setdefault(key, kind or self.key_name)
        changes = self.models.setdefault(key, Changes(origin))
        if column in changes.values and changes.values[column] != value:
            first = changes.where[column]
            where = f"line {first.line}" if first.file == origin.file else str(first)
            return Bad("models", f"{kind} {key}: {column} {value:g} conflicts with "
                       f"{changes.values[column]:g} at {where}", origin)
        changes.values[column] = value
        changes.where[column] = origin
        return None

    def rows(self, options):
        """One row per model: its current row with the SLO columns replaced."""
        for key, changes in self.models.items():
            current = options.current("models", key)
            if current is None:
                kind = self.kinds.get(key, self.key_name)
                yield Bad("models", f"{kind} {key} has no model", changes.origin,
                          raw={"model": key, **changes.values})
                continue
            values = {**current, **changes.values}
            values.pop("model_id", None)  # the shared path sets it from the key
            yield Row("models", values, changes.origin, key=key,
                      raw={"model": key, **changes.values})
