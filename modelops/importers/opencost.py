"""OpenCost `/allocation` answers -> costs_daily.

Query: `GET /allocation?window=...&aggregate=label:model&step=1d&accumulate=false`
-> `{code, status, data: [{<name>: Allocation}, ...]}`, one map per step.

- The name is what OpenCost's `generateKey` makes of `aggregate=label:model`: the label
  value (`fraud-detector-eu`) in current OpenCost (core/pkg/opencost/allocationprops.go);
  older Kubecost-era builds wrote `model=fraud-detector-eu`. Both are read: a leading
  `<label>=` is removed (`--option label=NAME` when aggregating by another label). The
  name is the source key resolved by `--map`.
- `__idle__`, `__unallocated__` (no such label), `__unmounted__`, `__shared__` and
  `__external__` are not models: skipped and reported.
- compute = cpuCost + gpuCost + ramCost + their *CostAdjustment; storage = pvCost +
  pvCostAdjustment; other = networkCost + networkCostAdjustment + loadBalancerCost +
  loadBalancerCostAdjustment + sharedCost + externalCost. (networkCrossZone/Region/
  InternetCost are parts of networkCost, not added.) The three must add up to
  `totalCost` (within 0.0001: OpenCost rounds each field to 5 decimals), else the
  allocation is refused; a null field (OpenCost writes NaN/Inf as null) refuses it too.
- day: the allocation's `window` [start, end) is converted to UTC and spread over the UTC
  days it covers in proportion to its time in each (a `step=1d` window in UTC = its day).
- a day the export covers only in part (OpenCost's `window=7d` is the last 7 x 24 h, not
  whole days: its first and last days are partial) is refused, so that it cannot replace a
  whole day loaded before: query whole UTC days (`window=2026-11-17T00:00:00Z,2026-11-24T00:00:00Z`,
  as `--url` does). Days in the middle, covered by two adjacent windows, are whole.
- all three categories are written for every allocation, zeros included, so a later
  export that lowers a category to 0 replaces the earlier amount.
- vendor: `--option vendor=<vendor_id>` (the cluster's provider, one per import), else
  empty. Amounts are taken as USD: OpenCost's currency is configuration, not in the answer.
Origin line = the 1-based number of the allocation in the file (steps in order, then the
allocations of each step in file order). The report counts the allocations each file holds
(`base.Count`), and the contract rows (day x category) made from them apart; a refused
partial day names its category, one reason per contract row.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from modelops.importers.base import (
    Bad,
    Count,
    Options,
    Origin,
    Row,
    Skipped,
    Unreadable,
    parse_time,
    read_json,
)
from modelops.importers.focus import period_problem, spread_over_days

SOURCE = "opencost"
KEY = "model label"
ENTITIES = ("costs_daily",)
AUTH = "Bearer {token}"

ENTITY = "costs_daily"
PARTS = {
    "compute": ("cpuCost", "gpuCost", "ramCost", "cpuCostAdjustment", "gpuCostAdjustment",
                "ramCostAdjustment"),
    "storage": ("pvCost", "pvCostAdjustment"),
    "other": ("networkCost", "networkCostAdjustment", "loadBalancerCost",
              "loadBalancerCostAdjustment", "sharedCost", "externalCost"),
}
NOT_MODELS = ("__idle__", "__unallocated__", "__unmounted__", "__shared__", "__external__")


def fetch(client, options: Options) -> list[Path]:
    """One /allocation answer for [--since, --until] (default: the last 7 whole UTC days)."""
    label = options.extra.get("label", "model")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    until = options.until or today
    since = options.since or until - timedelta(days=7)
    window = f"{since.strftime('%Y-%m-%dT%H:%M:%SZ')},{until.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    page = client.get_json("/allocation", {"window": window, "aggregate": f"label:{label}",
                                           "step": "1d", "accumulate": "false"})
    return [client.save("allocation.json", page)]


def _steps(path: Path) -> list:
    doc = read_json(path)
    if isinstance(doc, dict) and doc.get("code") not in (None, 200):
        raise Unreadable(path, f"OpenCost answered code {doc.get('code')}: "
                               f"{doc.get('message') or doc.get('status')}")
    if not isinstance(doc, dict) or "data" not in doc:
        raise Unreadable(path, "not an OpenCost /allocation answer (no data)")
    data = doc["data"]
    if isinstance(data, dict):  # accumulate=true with a single set
        data = [data]
    if not isinstance(data, list) or not all(isinstance(s, dict) or s is None for s in data):
        raise Unreadable(path, "data is not a list of allocation sets")
    return [s or {} for s in data]


def parse(files: list[Path], options: Options):
    prefix = options.extra.get("label", "model") + "="
    vendor = options.extra.get("vendor", "")
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    first: dict[tuple, tuple[Origin, dict]] = {}
    windows: set[tuple[datetime, datetime]] = set()
    held: dict[str, int] = {}  # allocations per file
    for path in files:
        number = 0
        for step in _steps(Path(path)):
            for name, allocation in step.items():
                number += 1
                origin = Origin(str(path), number)
                window = _window(allocation)
                if not isinstance(window, str):
                    windows.add(window)
                if name in NOT_MODELS:
                    yield Skipped(f"{name} is not a model", origin)
                    continue
                parts = _parts(allocation)
                if isinstance(parts, str):
                    yield Bad(ENTITY, f"allocation {name}: {parts}", origin, raw=allocation)
                    continue
                key = name.removeprefix(prefix)
                start, end = parts.pop("_window")
                raw = {k: allocation.get(k) for k in ("name", "window", "totalCost",
                                                      *PARTS["compute"], *PARTS["storage"],
                                                      *PARTS["other"])}
                for category, amount in parts.items():
                    for day, share in spread_over_days(start, end, amount):
                        slot = (key, day, category)
                        totals[slot] += share
                        first.setdefault(slot, (origin, raw))
        held[str(path)] = number
    covered = _covered_hours(windows)
    for slot in sorted(totals, key=lambda s: (first[s][0].file, first[s][0].line, s[1:])):
        key, day, category = slot
        origin, raw = first[slot]
        if covered.get(day, 0) < 24:
            yield Bad(ENTITY, f"{category} cost of day {day} is only partly in the export "
                              f"({covered[day]:g} h of 24): a partial day would replace the "
                              "whole day's cost", origin, raw=raw)
            continue
        yield Row(ENTITY, {"day": day, "category": category, "vendor_id": vendor,
                           "amount_usd": float(totals[slot])}, origin, key=key, raw=raw)
    for file, number in held.items():
        yield Count(file, number)


def _window(allocation) -> tuple[datetime, datetime] | str:
    """The allocation's window [start, end) in UTC, or the reason it has none."""
    if not isinstance(allocation, dict):
        return "not an allocation object"
    window = allocation.get("window") or {}
    try:
        start, end = parse_time(window.get("start")), parse_time(window.get("end"))
    except ValueError as error:
        return f"window: {error}"
    if end <= start:
        return "window end is not after its start"
    problem = period_problem(start, end)
    if problem:
        return f"window: {problem}"
    return start, end


def _covered_hours(windows) -> dict:
    """UTC day -> hours of it inside the union of the export's windows."""
    out: dict = defaultdict(Decimal)
    merged: list[list[datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        hours = Decimal((end - start) / timedelta(hours=1))
        for day, share in spread_over_days(start, end, hours):
            out[day] += share
    return {day: float(round(hours, 6)) for day, hours in out.items()}


def _parts(allocation) -> dict | str:
    """{category: Decimal, "_window": (start, end)} or the reason it cannot be used."""
    window = _window(allocation)
    if isinstance(window, str):
        return window
    start, end = window
    out: dict = {}
    for category, fields in PARTS.items():
        total = Decimal(0)
        for field in fields:
            if field not in allocation:
                continue  # older OpenCost answers lack some adjustments: nothing to add
            value = allocation[field]
            if value is None or isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value):
                return f"{field} is {value!r} (not a number: NaN or Inf in OpenCost)"
            total += Decimal(str(value))
        out[category] = total
    stated = allocation.get("totalCost")
    if isinstance(stated, int | float) and not isinstance(stated, bool) \
            and abs(sum(out.values()) - Decimal(str(stated))) > Decimal("0.0001"):
        return f"compute + storage + other = {sum(out.values())} but totalCost is {stated}"
    out["_window"] = (start, end)
    return out
