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

from modelops.importers.base import Bad, Origin, Row, Unreadable, read_text

P95 = 0.95
# le="0.5", le = "0.5", le=~"0.5" in a PromQL selector
_LE = re.compile(r'\ble\s*=~?\s*"([^"]*)"')


class LineDict(dict):
    """A YAML mapping that remembers the 1-based line it starts on."""

    line = 0


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader, node):
    value = LineDict(loader.construct_mapping(node, deep=True))
    value.line = node.start_mark.line + 1
    return value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(path: Path) -> list:
    """Every document of a YAML file (mappings as LineDict), or Unreadable with the line."""
    text = read_text(path)
    try:
        return [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or type(error).__name__
        raise Unreadable(path, f"not valid YAML ({problem})",
                         line=mark.line + 1 if mark else None) from None


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


def latency_bound_ms(queries: list[str]) -> float | None:
    """The X of `le="X"` in these queries, in milliseconds (Prometheus histograms are in
    seconds unless the metric says milliseconds); None when no query has a finite bound."""
    for query in queries:
        match = _LE.search(query)
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

    def set(self, key: str, column: str, value: float, origin: Origin) -> Bad | None:
        changes = self.models.setdefault(key, Changes(origin))
        if column in changes.values and changes.values[column] != value:
            first = changes.where[column]
            where = f"line {first.line}" if first.file == origin.file else str(first)
            return Bad("models", f"{self.key_name} {key}: {column} {value:g} conflicts with "
                       f"{changes.values[column]:g} at {where}", origin)
        changes.values[column] = value
        changes.where[column] = origin
        return None

    def rows(self, options):
        """One row per model: its current row with the SLO columns replaced."""
        for key, changes in self.models.items():
            current = options.current("models", key)
            if current is None:
                yield Bad("models", f"{self.key_name} {key} has no model", changes.origin,
                          raw={"model": key, **changes.values})
                continue
            values = {**current, **changes.values}
            values.pop("model_id", None)  # the shared path sets it from the key
            yield Row("models", values, changes.origin, key=key,
                      raw={"model": key, **changes.values})
